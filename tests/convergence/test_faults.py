"""The convergence scenario under API faults: ~5 % of requests fail (5xx — half of the
gateway errors as HTML pages —, dropped connections, timeouts, malformed JSON in 200s,
429 bursts), the company scroll sees 500s and expiries (and `scroll_exists` while the
reconcile scan waits for the companies scroll), search lags behind. Runs finish through
bounded retries and the warehouse converges; a run that cannot finish fails loudly, naming
the cause, leaves the warehouse consistent, and the next run recovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.exit_codes import ExitCode
from pipelines.run.failures import translate_error
from sources.intercom.settings import OPTIONAL_RESOURCES
from tests.convergence.compare import ROOTS, compare_warehouse
from tests.convergence.harness import InProcessSync
from tests.convergence.scenario import COVERING_PLANS, FAULTY_EMULATOR, TOTAL_RATE, Scenario
from tests.helpers.summary import record

SEEDS = (11,)  # `make soak` runs every other seed with these faults for many rounds
ROUNDS = len(COVERING_PLANS)


def _faults_seen(emu) -> dict[str, int]:
    """Non-200 answers the emulator served, by status (what the client had to survive)."""
    counts: dict[str, int] = {}
    for statuses in emu.control.stats.snapshot()["endpoints"].values():
        for status, n in statuses.items():
            if status != "200":
                counts[status] = counts.get(status, 0) + n
    return counts


@pytest.mark.parametrize(
    "seed", SEEDS, ids=[f"seed{s}-{ROUNDS}rounds-{TOTAL_RATE:.1%}faults" for s in SEEDS]
)
def test_every_round_converges_under_faults(seed: int, tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=seed, scale="tiny"), **FAULTY_EMULATOR) as emu:
        sync = InProcessSync(emu, tmp_path)
        scenario = Scenario(emu, sync, sync.read, seed)
        scenario.initial_sync()
        for plan in COVERING_PLANS:
            scenario.run_round(plan)
        seen = _faults_seen(emu)
        record(
            f"faults seed {seed}: {scenario.rounds_done} rounds, {scenario.syncs} syncs at "
            f"{TOTAL_RATE:.1%} injected faults (+ scroll 500/expiry 6%): {sync.requests} "
            f"requests, {sync.retries} retries, non-200 answers by status {seen}"
        )
        assert sync.retries > 0, "faults were injected and survived"
        assert len(seen) >= 3, f"too few kinds of failure met to prove much: {seen}"


def test_a_run_that_cannot_finish_fails_loudly_and_the_next_recovers(tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=13, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, max_retries=2)
        scenario = Scenario(emu, sync, sync.read, 13, deletions=False)
        scenario.initial_sync()
        before = {root: {str(r["id"]) for r in sync.read(root)} for root in ROOTS}
        emu.advance(6 * 3600, intensity=2)
        emu.control.update({"faults": {"POST /conversations/search": {"error_rate": 1.0}}})
        with pytest.raises(Exception) as failure:
            sync()
        error = translate_error(failure.value)
        assert error.exit_code == ExitCode.API_UNAVAILABLE
        assert ("/conversations/search" in str(error) and "503" in str(error)) or "50" in str(error)
        record(f"unfinishable run: exit {int(error.exit_code)}: {str(error)[:160]}")
        # Nothing lost or duplicated by the failed run; state did not move past unloaded data.
        with emu.control.lock:
            report = compare_warehouse(sync.read, emu.world, optional=OPTIONAL_RESOURCES)
        assert not [p for p in report.problems if "duplicate" in p]
        for root, ids in before.items():
            assert ids <= {str(r["id"]) for r in sync.read(root)}, root
        emu.control.update({"faults": None})
        scenario.initial_sync()  # the next run converges
