"""`intercom-sync backfill`: load history in independent `updated_at` windows, then hand over.

A first sync of a big workspace is one long run; if it dies at hour 20 the next run starts
its search over. A backfill splits `[--from, --to)` into chunks (`--chunk 30d`) and loads
each chunk as its own dlt pipeline (`<pipeline>_backfill_<start>_<end>`) with the searched
resources (contacts, conversations, tickets) bounded to that window (`start_date` /
`end_date` of the source). Such a chunk's cursor state is throw-away, so chunks:

- are independent: they can run in any order or in parallel (one orchestrator task each,
  see README "Backfill and scaling out"; on DuckDB one at a time, the file has one writer);
- resume after a crash: finished chunks are recorded in `<pipelines_dir>/<pipeline>.backfill.json`
  and skipped; a killed chunk is simply run again (its half-loaded package is finished first,
  the merge on `id` makes a repeat harmless).

Companies have no server-side filter (a full scroll each run), so they are loaded once, in a
step of their own, from `--from` on. The hand-over is a normal run of the main pipeline with
`start_date = --to`: it loads what changed since the end of the history, reads the lookups,
and leaves the main pipeline's incremental cursors at the present, so later `intercom-sync
run`s load only what changed (when the main pipeline already has state, it is a normal run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ConfigError
from pipelines.run.options import SyncOptions, SyncResult, pipelines_dir_of
from pipelines.run.sync import run_sync
from sources.intercom.dlt_compat import parse_datetime

log = logging.getLogger("intercom_sync")

# Resources whose search takes an `updated_at` window; the others are read whole.
# (the admins' activity log by `created_at`: the hand-over run starts at `--to`)
WINDOWED_RESOURCES = ("contacts", "conversations", "tickets", "admin_activity_logs")
COMPANIES_STEP = "companies"
_CHUNK = re.compile(r"^\s*(\d+)\s*([dh])\s*$")


@dataclass(frozen=True)
class Chunk:
    """One window `[start, end)` of the backfill, loaded by a pipeline of its own."""

    start: dt.datetime
    end: dt.datetime
    pipeline_name: str

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} .. {self.end:%Y-%m-%d %H:%M}"


@dataclass
class BackfillResult:
    chunks_run: list[str]
    chunks_skipped: list[str]
    results: dict[str, SyncResult]
    handover: SyncResult | None


def parse_chunk(text: str) -> dt.timedelta:
    """`30d`, `7d`, `12h` -> a timedelta (at least one hour)."""
    match = _CHUNK.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"chunk '{text}' is not a length such as 30d or 12h")
    n, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(days=n) if unit == "d" else dt.timedelta(hours=n)


def parse_instant(text: str, name: str) -> dt.datetime:
    """An ISO date/datetime (UTC if no offset) as an aware UTC datetime."""
    try:
        parsed = parse_datetime(text)
    except ValueError:  # pendulum's ParserError is one
        raise ConfigError(f"{name} '{text}' is not an ISO 8601 date such as 2024-01-31") from None
    return dt.datetime.fromtimestamp(parsed.timestamp(), dt.timezone.utc)


def plan_chunks(
    start: dt.datetime, end: dt.datetime, chunk: dt.timedelta, pipeline_name: str
) -> list[Chunk]:
    """Consecutive windows covering `[start, end)` exactly, each at most `chunk` long."""
    if end <= start:
        raise ConfigError(f"--to ({end:%Y-%m-%d}) must be after --from ({start:%Y-%m-%d})")
    chunks, at = [], start
    while at < end:
        stop = min(at + chunk, end)
        name = f"{pipeline_name}_backfill_{at:%Y%m%dT%H%M}_{stop:%Y%m%dT%H%M}"
        chunks.append(Chunk(at, stop, name))
        at = stop
    return chunks


class Progress:
    """Which steps of a backfill finished (a small JSON file next to the pipelines)."""

    def __init__(self, path: Path, plan: dict) -> None:
        self.path = path
        self.plan = plan
        data = json.loads(path.read_text()) if path.exists() else {}
        # A different plan (other dates or chunk size) starts over: its chunks differ.
        self.done: list[str] = data.get("done", []) if data.get("plan") == plan else []

    def mark(self, step: str) -> None:
        self.done.append(step)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"plan": self.plan, "done": self.done}, indent=1))
        tmp.replace(self.path)  # atomic: a crash never leaves half a file


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def backfill_steps(
    options: SyncOptions, start: dt.datetime, end: dt.datetime, chunk: dt.timedelta
) -> list[tuple[str, SyncOptions]]:
    """The independent steps of a backfill, as `(pipeline name, options)`: one per chunk for
    the windowed resources, plus one for companies. An orchestrator can run each as its own
    task (`run_sync(options)`), in parallel where the destination takes concurrent loads."""
    chosen = options.resources
    windowed = [r for r in WINDOWED_RESOURCES if chosen is None or r in chosen]
    steps: list[tuple[str, SyncOptions]] = []
    if windowed:
        for piece in plan_chunks(start, end, chunk, options.pipeline_name):
            chunk_options = dataclasses.replace(
                options,
                pipeline_name=piece.pipeline_name,
                resources=windowed,
                start_date=_iso(piece.start),
                end_date=_iso(piece.end),
                full_refresh=False,
            )
            steps.append((piece.pipeline_name, chunk_options))
    if chosen is None or COMPANIES_STEP in chosen:
        name = f"{options.pipeline_name}_backfill_companies"
        companies_options = dataclasses.replace(
            options,
            pipeline_name=name,
            resources=[COMPANIES_STEP],
            start_date=_iso(start),
            end_date=None,
            full_refresh=False,
        )
        steps.append((name, companies_options))
    return steps


def handover_options(options: SyncOptions, end: dt.datetime) -> SyncOptions:
    """The main pipeline's run after the backfill: its first run starts at the backfill's end."""
    return dataclasses.replace(options, start_date=_iso(end), end_date=None, full_refresh=False)


def run_backfill(
    options: SyncOptions, start: dt.datetime, end: dt.datetime, chunk: dt.timedelta
) -> BackfillResult:
    """Every unfinished step, one after the other, then the hand-over run (see module doc)."""
    now = dt.datetime.now(dt.timezone.utc)
    if end > now:
        # Not clamped to now: the plan (and the resume record) must be the same on a rerun.
        raise ConfigError(
            f"--to {end:%Y-%m-%d %H:%M} is in the future: give a past date (e.g. today, "
            f"{now:%Y-%m-%d}); the hand-over run then loads everything changed after it"
        )
    steps = backfill_steps(options, start, end, chunk)
    if not steps:
        raise ConfigError(
            f"nothing to backfill in --resources {','.join(options.resources or [])}: backfill "
            f"covers {', '.join((*WINDOWED_RESOURCES, COMPANIES_STEP))}; the others are read "
            "whole by every `intercom-sync run`"
        )
    plan = {
        "from": _iso(start),
        "to": _iso(end),
        "chunk_s": int(chunk.total_seconds()),
        "steps": [name for name, _ in steps],
    }
    progress_file = Path(pipelines_dir_of(options)) / f"{options.pipeline_name}.backfill.json"
    progress = Progress(progress_file, plan)
    result = BackfillResult([], [], {}, None)
    for name, step_options in steps:
        if name in progress.done:
            result.chunks_skipped.append(name)
            log.info("backfill: %s already loaded, skipped", name)
            continue
        log.info("backfill: loading %s", name)
        result.results[name] = run_sync(step_options)
        progress.mark(name)
        result.chunks_run.append(name)
    result.handover = run_sync(handover_options(options, end))
    return result


def format_backfill(result: BackfillResult) -> str:
    lines = [f"Backfill finished: {len(result.chunks_run)} step(s) loaded"]
    if result.chunks_skipped:
        lines[0] += f", {len(result.chunks_skipped)} already done"
    for name, step in result.results.items():
        rows = sum(step.rows_by_table.values())
        lines.append(f"  {name}: {rows} rows, {step.requests} requests, {step.seconds:.1f}s")
    if result.handover is not None:
        rows = sum(result.handover.rows_by_table.values())
        lines.append(
            f"  hand-over run: {rows} rows, {result.handover.requests} requests; "
            "`intercom-sync run` continues incrementally from here"
        )
    return "\n".join(lines)
