"""What history mode costs in storage: a week of activity, synced daily with `--history`.

    python -m bench.history_storage [--scale medium] [--days 7] [--out bench/results]

An emulator world (`medium` by default) is synced into DuckDB with history mode on (the first
run loads the world and seeds the history tables), then advanced one day and synced again,
`--days` times. Then, per group of tables: rows, and bytes as DuckDB stores them, each group
copied alone into a fresh DuckDB file (so that the figure is the group's, not the shared
file's free blocks). Groups: the current tables of the versioned entities (`contacts`,
`companies`, `conversations`, `tickets`, `conversation_parts`, `ticket_parts` and their nested
tables) and their `_history` tables. Writes `history-storage.md` and `.json` to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.emulator_process import TOKEN, EmulatorProcess
from pipelines.destinations.history_tables import HISTORY_SUFFIX, VERSIONED

DATASET = "intercom_raw"
DAY = 86_400


def sync(base_url: str, workdir: Path) -> float:
    from pipelines.run.options import SyncOptions
    from pipelines.run.sync import run_sync

    started = time.monotonic()
    run_sync(
        SyncOptions(
            duckdb_file=str(workdir / "warehouse.duckdb"),
            pipelines_dir=str(workdir / "pipelines"),
            dataset=DATASET,
            base_url=base_url,
            access_token=TOKEN,
            progress=False,
            history=True,
        )
    )
    return time.monotonic() - started


def table_groups(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    names = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [DATASET]
        ).fetchall()
    ]
    groups: dict[str, list[str]] = {"current": [], "history": []}
    for versioned in VERSIONED:
        history = f"{versioned.root}{HISTORY_SUFFIX}"
        for name in names:
            if name == history or name.startswith(f"{history}__"):
                groups["history"].append(name)
            elif name == versioned.root or name.startswith(f"{versioned.root}__"):
                groups["current"].append(name)
    return groups


def measure(db: Path, scratch: Path) -> dict[str, dict]:
    """Rows and bytes per group, and rows per table."""
    con = duckdb.connect(str(db))
    result: dict[str, dict] = {}
    try:
        for group, tables in table_groups(con).items():
            copy = scratch / f"{group}.duckdb"
            con.execute(f"ATTACH '{copy}' AS copy_db")
            rows: dict[str, int] = {}
            for table in sorted(tables):
                con.execute(f'CREATE TABLE copy_db."{table}" AS SELECT * FROM {DATASET}."{table}"')
                rows[table] = con.execute(f'SELECT count(*) FROM {DATASET}."{table}"').fetchone()[0]
            con.execute("DETACH copy_db")
            result[group] = {"bytes": copy.stat().st_size, "rows": rows}
    finally:
        con.close()
    return result


def markdown(report: dict) -> str:
    groups = report["groups"]
    lines = [
        f"**history storage** — world `{report['scale']}` (seed {report['seed']}), synced with "
        f"`--history`, then {report['days']} days of `advance` synced daily; "
        f"sync seconds: {', '.join(f'{s:.0f}' for s in report['sync_seconds'])}",
        "",
        "| table | current rows | history rows |",
        "|---|---|---|",
    ]
    for versioned in VERSIONED:
        root = versioned.root
        current = groups["current"]["rows"].get(root)
        history = groups["history"]["rows"].get(f"{root}{HISTORY_SUFFIX}")
        lines.append(f"| `{root}` | {current or 0:,} | {history or 0:,} |")
    links = sum(n for t, n in groups["current"]["rows"].items() if "__" in t)
    history_links = sum(n for t, n in groups["history"]["rows"].items() if "__" in t)
    lines.append(f"| nested tables (all) | {links:,} | {history_links:,} |")
    current_mb = groups["current"]["bytes"] / 1e6
    history_mb = groups["history"]["bytes"] / 1e6
    lines += [
        "",
        f"Bytes (each group alone in a fresh DuckDB file): current tables {current_mb:.1f} MB, "
        f"history tables {history_mb:.1f} MB ({history_mb / current_mb:.2f}× the current).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # stopped (a timeout, kill): leave through the `finally` below, which stops the emulator
    # (once the sync in progress lets go: that can take a while; else kill it by its pid)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    emulator = EmulatorProcess.start(
        scale=args.scale, seed=args.seed, rate_limit=None, latency_ms=0
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            os.environ["DLT_DATA_DIR"] = str(workdir / "dlt")
            seconds = [sync(emulator.base_url, workdir)]
            for day in range(args.days):
                emulator.admin("POST", "advance", json={"seconds": DAY})
                seconds.append(sync(emulator.base_url, workdir))
                print(f"day {day + 1}: synced in {seconds[-1]:.0f} s", flush=True)
            (workdir / "scratch").mkdir()
            groups = measure(workdir / "warehouse.duckdb", workdir / "scratch")
    finally:
        emulator.stop()
    report = {
        "scale": args.scale,
        "seed": args.seed,
        "days": args.days,
        "sync_seconds": seconds,
        "groups": groups,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "history-storage.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "history-storage.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
