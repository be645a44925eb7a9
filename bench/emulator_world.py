"""Startup time, peak memory and read speed of the emulator world per scale (not a test).

    .venv/bin/python -m bench.emulator_world                 # tiny, small, medium
    .venv/bin/python -m bench.emulator_world --large         # also large (slow, several minutes)
    .venv/bin/python -m bench.emulator_world --scales medium

Each scale runs in a fresh subprocess so peak RSS is that scale's own. Goals (issue): medium
starts in < 30 s; large stays within 3 GB; ``get`` serves well above 50,000 records/s.
Wall times depend on machine load (printed as load_avg_1m); CPU seconds are steadier.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from emulator.world.activity import advance, touch
from emulator.world.generate import generate_world


def measure(scale: str, seed: int) -> dict:
    import resource

    from emulator.world import WorldConfig

    started, cpu_started = time.perf_counter(), time.process_time()
    world = generate_world(WorldConfig(seed=seed, scale=scale))
    startup = time.perf_counter() - started
    startup_cpu = time.process_time() - cpu_started
    rss_after_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    reads = {}
    for name in ("contacts", "conversations"):
        store = getattr(world, name)
        ids = list(store.ids())[:20_000]
        for method in ("get", "get_head"):
            read = getattr(store, method)
            t = time.process_time()
            for id in ids:
                read(id)
            reads[f"{name}.{method}"] = round(len(ids) / max(time.process_time() - t, 1e-9))
    t = time.perf_counter()
    world.contacts.ids_by_updated_at()
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    world.clone()  # what generate_world costs once a pristine copy is cached (resets)
    clone_s = time.perf_counter() - t

    t = time.perf_counter()
    summary = advance(world, 3600)
    advance_s = time.perf_counter() - t
    t = time.perf_counter()
    touch(world, 100)
    world.contacts.ids_by_updated_at()
    touch_s = time.perf_counter() - t
    return {
        "scale": scale,
        "storage": world.contacts.storage,
        "contacts": len(world.contacts),
        "companies": len(world.companies),
        "conversations": len(world.conversations),
        "tickets": len(world.tickets),
        "startup_s": round(startup, 2),
        "startup_cpu_s": round(startup_cpu, 2),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "peak_rss_mb_after_start": round(rss_after_start),
        "reads_per_cpu_s": reads,
        "sort_index_s": round(index_s, 3),
        "clone_s": round(clone_s, 3),
        "advance_1h_s": round(advance_s, 3),
        "advance_1h_changes": summary["records_changed"],
        "touch_100_plus_reindex_s": round(touch_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="*", default=["tiny", "small", "medium"])
    parser.add_argument("--large", action="store_true", help="also measure the large scale")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.seed)))
        return
    scales = list(args.scales) + (["large"] if args.large else [])
    for scale in scales:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.emulator_world",
                "--child",
                scale,
                "--seed",
                str(args.seed),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(f"{scale}: failed\n{out.stderr}", flush=True)
            continue
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
