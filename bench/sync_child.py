"""One `intercom-sync run` in this process, measured by itself (run by bench.run as a child).

Prints one JSON object: rows per table, the client's request counters, wall time, the CPU
seconds of the sync (`cpu_sync_s`, from just before the run to its end: imports and
interpreter start-up excluded, reported apart as `cpu_startup_s`) and the peak RSS.

    python -m bench.sync_child --base-url URL --token T --duckdb-file F --pipelines-dir D \
        --resources contacts
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not `ru_maxrss`: on Linux that survives exec and
    so starts at the parent's RSS at fork time — a big bench parent would inflate it."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--duckdb-file", required=True)
    parser.add_argument("--pipelines-dir", required=True)
    parser.add_argument("--resources", default=None)
    parser.add_argument("--max-concurrency", type=int, default=None)
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict:
    """Run the sync `args` describe in this process; its report (see the module doc)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    if args.max_concurrency:
        os.environ["SOURCES__INTERCOM__MAX_CONCURRENCY"] = str(args.max_concurrency)

    from pipelines.run.options import SyncOptions
    from pipelines.run.sync import run_sync

    options = SyncOptions(
        duckdb_file=args.duckdb_file,
        pipelines_dir=args.pipelines_dir,
        resources=args.resources.split(",") if args.resources else None,
        base_url=args.base_url,
        access_token=args.token,
        progress=False,
    )
    cpu_startup = _cpu()
    started, cpu_before = time.perf_counter(), _cpu()
    result = run_sync(options)
    wall = time.perf_counter() - started
    trace = result.load_info.pipeline.last_trace if result.load_info else None
    phases = {
        step.step: round((step.finished_at - step.started_at).total_seconds(), 2)
        for step in (trace.steps if trace else [])
        if step.step in ("extract", "normalize", "load")
    }
    report = {
        "phases_s": phases,
        "rows": result.rows_by_table,
        "client_requests": result.requests,
        "client_retries": result.retries,
        "client_429s": result.rate_limited,
        "wall_s": wall,
        "cpu_sync_s": _cpu() - cpu_before,
        "cpu_startup_s": cpu_startup,
        "peak_rss_mb": peak_rss_mb(),
    }
    return report


def main() -> None:
    sys.stdout.write(json.dumps(measure(parse_args())) + "\n")


if __name__ == "__main__":
    main()
