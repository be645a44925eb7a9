"""`make bench`: sync the emulator in realistic scenarios and measure the sync (not a test).

    .venv/bin/python -m bench.run                       # every scenario (long: large world)
    .venv/bin/python -m bench.run --scenarios local realistic
    .venv/bin/python -m bench.run --quick               # tiny worlds: a smoke test

Per scenario the emulator runs as its own server process and every sync step in a child
process (bench.sync_child), so each side's CPU is measured apart. Results go to
`bench/results/<scenario>.json` and a Markdown table is printed (and written to
`bench/results/<scenario>.md`) for the README's Performance section.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import minimum
from bench.emulator_process import TOKEN, EmulatorProcess, rss_mb, served
from bench.scenarios import GROUP_RESOURCES, SCENARIOS, WINDOW_S, Scenario

RESULTS_DIR = Path(__file__).parent / "results"
OUT_OF_MEMORY_WARNING = "DuckDB ran out of memory loading"
# What the numbers move with: a rebuilt environment alone moved peak RSS by ~35 MB.
MEASURED_PACKAGES = ("dlt", "duckdb", "pyarrow", "orjson", "httpx", "httpcore")
STEP_FIELDS = (
    "step",
    "records",
    "rows_all_tables",
    "records_per_s",
    "requests",
    "min_requests",
    "requests_vs_min",
    "http_429s",
    "wall_s",
    "cpu_sync_s",
    "cpu_ms_per_1000_records",
    "peak_rss_mb",
    "emulator_cpu_s",
)


def machine() -> dict[str, Any]:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gb": round(ram_gb, 1),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in MEASURED_PACKAGES},
    }


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_step(
    emulator: EmulatorProcess,
    step: str,
    workdir: Path,
    minimums: dict[str, int],
    max_concurrency: int | None = None,
) -> dict[str, Any]:
    resources, roots = GROUP_RESOURCES[step]
    command = [sys.executable, "-m", "bench.sync_child", "--base-url", emulator.base_url]
    command += ["--token", TOKEN, "--duckdb-file", str(workdir / "bench.duckdb")]
    command += ["--pipelines-dir", str(workdir / "pipelines")]
    if resources:
        command += ["--resources", resources]
    if max_concurrency:
        command += ["--max-concurrency", str(max_concurrency)]
    load_before = os.getloadavg()[0]
    stats_before, cpu_before = emulator.stats(), emulator.cpu_seconds()
    out = subprocess.run(command, capture_output=True, text=True)
    emulator_cpu = emulator.cpu_seconds() - cpu_before
    if out.returncode:
        raise RuntimeError(f"sync step {step} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    child = json.loads(out.stdout.strip().splitlines()[-1])
    requests, limited, per_endpoint = served(stats_before, emulator.stats())
    records = sum(child["rows"].get(t, 0) for t in roots)
    minimum_requests = minimums[step]
    return {
        "step": step,
        "records": records,
        "rows_all_tables": sum(child["rows"].values()),
        "rows": child["rows"],
        "records_per_s": round(records / child["wall_s"], 1),
        "requests": requests,
        "min_requests": minimum_requests,
        "requests_vs_min": round(requests / minimum_requests, 3),
        # No-change runs: also against the minimum of a client that re-reads the search
        # index's lag allowance, and of one that also loads again the versions read within
        # the clock-skew margin (bench.minimum.no_change_sync_with_lag_allowance, …_settle_aware).
        **(
            {
                "min_requests_lag_aware": minimums[f"{step}-lag-aware"],
                "min_requests_settle_aware": minimums[f"{step}-settle-aware"],
                "requests_vs_settle_aware_min": round(
                    requests / minimums[f"{step}-settle-aware"], 3
                ),
            }
            if f"{step}-lag-aware" in minimums
            else {}
        ),
        "http_429s": limited,
        "wall_s": round(child["wall_s"], 2),
        "cpu_sync_s": round(child["cpu_sync_s"], 2),
        "cpu_startup_s": round(child["cpu_startup_s"], 2),
        "cpu_ms_per_1000_records": round(1e6 * child["cpu_sync_s"] / records, 1)
        if records
        else None,
        "peak_rss_mb": round(child["peak_rss_mb"], 1),
        "emulator_cpu_s": round(emulator_cpu, 2),
        "client_requests": child["client_requests"],
        "phases_s": child["phases_s"],  # dlt's extract / normalize / load, one after the other
        # Loads repeated with a doubled DuckDB memory_limit (runner.run_with_memory_to_load):
        # then `phases_s["load"]` is the last load only.
        "duckdb_memory_retries": out.stderr.count(OUT_OF_MEMORY_WARNING),
        # Other work on the machine slows wall times (CPU seconds much less so).
        "load_avg_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "requests_by_endpoint": per_endpoint,
    }


def step_minimums(counts: dict[str, int]) -> dict[str, int]:
    groups = minimum.full_sync(counts)
    # One process runs every group: one `/me` in all, and the contact and company attribute
    # definitions (and the segments) the lookups read are the ones the others use.
    groups["all"] = (
        sum(groups.values()) - (len(groups) - 1) * minimum.ME - minimum.SHARED_ATTRIBUTE_READS
    )
    groups["no-change"] = minimum.no_change_sync(counts)
    groups["no-change-lag-aware"] = minimum.no_change_sync_with_lag_allowance(counts)
    groups["no-change-settle-aware"] = minimum.no_change_sync_settle_aware(counts)
    return groups


def run_scenario(
    scenario: Scenario, *, quick: bool, seed: int, max_concurrency: int | None = None
) -> dict[str, Any]:
    scale = scenario.quick_scale if quick else scenario.scale
    counts = scenario.quick_counts if quick else scenario.counts
    started = time.perf_counter()
    emulator = EmulatorProcess.start(
        scale=scale,
        seed=seed,
        rate_limit=scenario.rate_limit,
        latency_ms=scenario.latency_ms,
        counts=counts,
    )
    try:
        startup_s = time.perf_counter() - started
        latency = emulator.admin("GET", "config").json().get("latency_ms", 0)
        emulator.admin("POST", "config", json={"latency_ms": 0})  # truth reads need no latency
        world = minimum.world_counts(emulator)
        emulator.admin("POST", "config", json={"latency_ms": latency})
        minimums = step_minimums(world)
        steps = []
        with tempfile.TemporaryDirectory(prefix=f"bench-{scenario.name}-") as tmp:
            for step in scenario.steps:
                result = run_step(emulator, step, Path(tmp), minimums, max_concurrency)
                print(json.dumps({k: result[k] for k in STEP_FIELDS}), flush=True)
                steps.append(result)
        emulator_rss = rss_mb(emulator.pid)
    finally:
        emulator.stop()
    report: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "quick": quick,
        "scale": scale,
        "counts_override": counts,
        "world": world,
        "rate_limit_per_10s": scenario.rate_limit,
        "latency_ms": scenario.latency_ms,
        "seed": seed,
        "max_concurrency": max_concurrency or "default (.dlt/config.toml)",
        "machine": machine(),
        "emulator_startup_s": round(startup_s, 1),
        "emulator_peak_rss_mb": round(emulator_rss, 1),
        "steps": steps,
    }
    if scenario.rate_limit:
        allowed_per_s = scenario.rate_limit / WINDOW_S
        for step in steps:
            bound = step["min_requests"] / allowed_per_s
            step["rate_bound_min_s"] = round(bound, 1)
            step["wall_vs_rate_bound"] = round(step["wall_s"] / bound, 2)
    return report


def markdown(report: dict[str, Any]) -> str:
    head = (
        f"**{report['scenario']}** — {report['description']}; world `{report['scale']}`"
        + (f" with {report['counts_override']}" if report["counts_override"] else "")
        + f" ({report['world']['contacts']:,} contacts, {report['world']['conversations']:,}"
        f" conversations); emulator peak RSS {report['emulator_peak_rss_mb']:.0f} MB\n\n"
    )
    columns = [
        ("step", "step"),
        ("records", "records"),
        ("records/s", "records_per_s"),
        ("requests (min)", None),
        ("429s", "http_429s"),
        ("wall s", "wall_s"),
        ("sync CPU s", "cpu_sync_s"),
        ("CPU ms / 1k", "cpu_ms_per_1000_records"),
        ("peak RSS MB", "peak_rss_mb"),
        ("emulator CPU s", "emulator_cpu_s"),
    ]
    rate_limited = any("wall_vs_rate_bound" in s for s in report["steps"])
    if rate_limited:
        columns.append(("wall / rate-bound min", "wall_vs_rate_bound"))
    lines = [
        "| " + " | ".join(c[0] for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for step in report["steps"]:
        cells = []
        for _, key in columns:
            if key is None:
                settle = step.get("min_requests_settle_aware")
                cells.append(
                    f"{step['requests']:,} ({step['min_requests']:,}"
                    + (f"; settle-aware {settle:,}" if settle is not None else "")
                    + ")"
                )
            else:
                value = step.get(key)
                if value is None:
                    cells.append("—")  # e.g. CPU per 1,000 records of a run that loaded none
                else:
                    cells.append(f"{value:,}" if isinstance(value, int | float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="small worlds: a smoke test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    parser.add_argument(
        "--max-concurrency", type=int, default=None, help="override the source's setting"
    )
    parser.add_argument("--tag", default="", help="suffix for the result file names")
    parser.add_argument("--world", default=None, help="override the scenario's world scale")
    parser.add_argument(
        "--counts",
        default=None,
        help="override world counts, e.g. contacts=300000,conversations=1000",
    )
    args = parser.parse_args()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    out_dir = Path(args.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"machine": machine()}), flush=True)
    for name in args.scenarios:
        scenario = SCENARIOS[name]
        if args.world or args.counts:
            counts = dict(
                (key, int(value))
                for key, value in (
                    item.split("=") for item in (args.counts or "").split(",") if item
                )
            )
            scenario = dataclasses.replace(
                scenario, scale=args.world or scenario.scale, counts=counts or scenario.counts
            )
        report = run_scenario(
            scenario, quick=args.quick, seed=args.seed, max_concurrency=args.max_concurrency
        )
        suffix = ("-quick" if args.quick else "") + (f"-{args.tag}" if args.tag else "")
        (out_dir / f"{name}{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
        table = markdown(report)
        (out_dir / f"{name}{suffix}.md").write_text(table)
        print(table, flush=True)


if __name__ == "__main__":
    main()
