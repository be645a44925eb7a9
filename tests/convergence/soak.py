"""The long soak: the convergence scenario for hundreds of rounds, for nightly use.

    make soak                                   # 200 rounds: 4 seeds x 50, every 2nd seed with faults
    python -m tests.convergence.soak --rounds 500 --seeds 1,2,3,4,5 --faults-every 2 --scale tiny

Each seed gets a fresh emulator and warehouse (in a temp dir); seeds listed in
`--faults-every` order run with the fault mix of the fault suite (`test_faults.FAULTS`).
Prints one line per round and a summary; exits 1 at the first round whose warehouse differs
from the workspace (the message lists the differences and the round's plan).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.convergence.soak")
    parser.add_argument("--rounds", type=int, default=200, help="total rounds (default 200)")
    parser.add_argument("--seeds", default="101,102,103,104", help="comma-separated seeds")
    parser.add_argument("--faults-every", type=int, default=2, help="every Nth seed with faults")
    parser.add_argument("--scale", default="tiny", help="emulator world scale (default tiny)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    per_seed = max(1, -(-args.rounds // len(seeds)))

    with tempfile.TemporaryDirectory(prefix="intercom-soak-") as work:
        os.environ["DLT_DATA_DIR"] = str(Path(work) / "dlt")
        os.chdir(work)  # no repo .dlt/ config
        from emulator.testing import running_emulator
        from emulator.world import WorldConfig
        from tests.convergence.harness import InProcessSync
        from tests.convergence.scenario import FAULTY_EMULATOR, TOTAL_RATE, Scenario
        from tests.helpers.duckdb_pipeline import close_held

        total_rounds = total_syncs = 0
        started = time.monotonic()
        for index, seed in enumerate(seeds):
            faulty = bool(args.faults_every) and index % args.faults_every == 1
            settings = FAULTY_EMULATOR if faulty else {}
            root = Path(work) / f"seed{seed}"
            with running_emulator(WorldConfig(seed=seed, scale=args.scale), **settings) as emu:
                sync = InProcessSync(emu, root)
                scenario = Scenario(emu, sync, sync.read, seed)
                label = f"seed {seed} ({f'{TOTAL_RATE:.1%} faults' if faulty else 'no faults'})"
                try:
                    scenario.initial_sync()
                    for _ in range(per_seed):
                        report = scenario.run_round()
                        print(
                            f"{label} round {scenario.rounds_done}/{per_seed}: ok, "
                            f"{sum(report.compared.values())} rows compared, "
                            f"changes {scenario.history[-1]['changes']}",
                            flush=True,
                        )
                except AssertionError as exc:
                    print(f"SOAK FAILED: {label}: {exc}", file=sys.stderr)
                    return 1
                finally:
                    close_held()
                total_rounds += scenario.rounds_done
                total_syncs += scenario.syncs
                print(
                    f"{label}: {scenario.rounds_done} rounds, {sync.requests} requests, "
                    f"{sync.retries} retries",
                    flush=True,
                )
        print(
            f"soak passed: {total_rounds} rounds, {total_syncs} syncs over seeds {seeds} "
            f"in {time.monotonic() - started:.0f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
