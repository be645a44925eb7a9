"""`intercom-sync status`: per resource its cursor, lag, rows, last success and last failure.

Sources of truth: the cursor from dlt's pipeline state, rows from the destination itself,
successes and failures from our run history (`history.py`; dlt's trace keeps only the last
run), the last committed load from the destination's `_dlt_loads`. Lag is measured on the
API's clock: the `Date` of the last run carried forward to now (against real Intercom that
is simply now).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import dlt

from pipelines.destinations.duckdb_file import DEFAULT_DUCKDB_FILE, resolve_duckdb_file
from pipelines.destinations.history_tables import HISTORY_DESTINATIONS, history_row_counts
from pipelines.errors import ConfigError
from pipelines.exit_codes import ExitCode
from pipelines.reporting.warehouse import (
    data_tables,
    require_duckdb_file,
    resource_of_table,
    row_counts,
)
from pipelines.run.construct import attach_existing, make_destination
from pipelines.run.history import RunRecord, read_history
from sources.intercom.attribute_keys import STATE_KEY as OWNERS_STATE_KEY
from sources.intercom.dlt_compat import (
    committed_pipeline_state,
    default_pipelines_dir,
    parse_datetime,
)
from sources.intercom.settings import destination_kind


def _cursor_of(resource_state: Any) -> Any:
    """The cursor a resource keeps: our own `cursor` key, or a `last_value` (our horizon
    cursor and dlt incremental both use that name)."""
    if not isinstance(resource_state, dict):
        return None
    if "cursor" in resource_state:
        return resource_state["cursor"]
    for key, value in resource_state.items():
        if isinstance(value, dict) and key != OWNERS_STATE_KEY:  # (column names, no cursor)
            if "last_value" in value:
                return value["last_value"]
            found = _cursor_of(value)
            if found is not None:
                return found
    return None


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, dt.timezone.utc)
        return moment.isoformat(timespec="seconds")
    return value


def _as_unix(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return parse_datetime(value).timestamp()
        except ValueError:
            return None
    return None


def _attach(
    pipeline_name: str,
    pipelines_dir: str | None,
    destination: str | None,
    duckdb_file: str | None,
) -> tuple[dlt.Pipeline, list[RunRecord], bool]:
    """The pipeline attached to the destination to report on, the run history of that
    destination, and whether the local state is another DuckDB file's (one pipeline name
    synced into several files: dlt keeps one local state, that of the last run)."""
    pipeline = attach_existing(pipeline_name, pipelines_dir)
    history = read_history(pipeline.pipelines_dir, pipeline_name)
    # The state knows the destination type; DuckDB also needs the file: the one given, else
    # the one the last run used.
    wanted = destination or destination_kind(pipeline)
    used = [r.duckdb_file for r in history if r.duckdb_file]
    if wanted == "duckdb" and duckdb_file is None:
        duckdb_file = used[-1] if used else resolve_duckdb_file(None)
    state_elsewhere = False
    if wanted == "duckdb":
        wrote = f" (this pipeline's last run wrote {used[-1]})" if used else ""
        require_duckdb_file(duckdb_file, f"{wrote}; pass --duckdb-file")
        chosen = str(Path(duckdb_file).resolve())
        state_elsewhere = bool(used) and used[-1] != chosen
    else:
        chosen = None
    # Runs into other DuckDB files (or, for another destination, into any DuckDB file) are
    # not this warehouse's successes and failures.
    history = [r for r in history if r.duckdb_file == chosen]
    if wanted == "duckdb" or destination:
        pipeline = dlt.attach(
            pipeline_name=pipeline_name,
            pipelines_dir=pipelines_dir,
            destination=make_destination(wanted, duckdb_file or DEFAULT_DUCKDB_FILE),
        )
    return pipeline, history, state_elsewhere


def _last_load(pipeline: dlt.Pipeline) -> dict[str, Any] | None:
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("_dlt_loads")
            rows = client.execute_sql(
                f"SELECT load_id, inserted_at FROM {table} WHERE status = 0 "
                "ORDER BY inserted_at DESC LIMIT 1"
            )
    except Exception as exc:  # destination unreachable or never loaded
        return {"error": f"could not read the destination: {exc}"}
    if not rows:
        return None
    load_id, inserted_at = rows[0]
    return {"load_id": load_id, "inserted_at": _iso(inserted_at)}


def _last_run(pipeline: dlt.Pipeline) -> dict[str, Any] | None:
    """dlt's trace of the last run (what `dlt pipeline <name> trace` shows in full)."""
    trace = pipeline.last_trace
    if trace is None:
        return None
    failed = next((s for s in trace.steps if s.step_exception), None)
    return {
        "started_at": _iso(trace.started_at),
        "finished_at": _iso(trace.finished_at),
        "ok": failed is None,
        "failure": None if failed is None else f"{failed.step}: {failed.step_exception}",
    }


def _run_summary(record: RunRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    summary: dict[str, Any] = {"at": _iso(record.finished_at)}
    if not record.ok:
        summary["exit_code"] = record.exit_code
        summary["message"] = record.message
    return summary


def _latest(history: list[RunRecord], ok: bool, resource: str | None = None) -> RunRecord | None:
    for record in reversed(history):
        if resource is None:
            if record.ok == ok:
                return record
        elif record.covers(resource) and record.ok_for(resource) == ok:
            return record
    return None


def server_now(history: list[RunRecord], wall_now: float | None = None) -> float:
    """Now on the API's clock: the `Date` of the last successful run (a failed run may
    have had no response, and then its time is the local clock), moved on by the time since."""
    wall_now = time.time() if wall_now is None else wall_now
    for record in reversed(history):
        if record.ok and record.server_time is not None:
            return record.server_time + (wall_now - record.finished_at)
    return wall_now


def collect_status(
    pipeline_name: str,
    pipelines_dir: str | None,
    destination: str | None = None,
    duckdb_file: str | None = None,
) -> dict[str, Any]:
    """`destination`/`duckdb_file`: None means what the pipeline's last run used. A pipeline
    with a run history but nothing to read (its runs failed before dlt kept a schema, or before
    anything was loaded) is reported from the history alone: a failed run is when a user needs
    status most."""
    try:
        pipeline, history, state_elsewhere = _attach(
            pipeline_name, pipelines_dir, destination, duckdb_file
        )
        if pipeline.default_schema_name is None:  # no run got as far as extracting
            raise ConfigError("no schema yet")
    except ConfigError:
        history = read_history(pipelines_dir or default_pipelines_dir(), pipeline_name)
        if not history or any(r.ok or r.rows for r in history):
            raise  # nothing known of it, or a warehouse that should be there (mistyped file)
        return history_status(pipeline_name, history)
    now = server_now(history)
    pipeline_state = committed_pipeline_state(pipeline) if state_elsewhere else pipeline.state

    cursors = {
        name: _cursor_of(state)
        for source_state in pipeline_state.get("sources", {}).values()
        for name, state in source_state.get("resources", {}).items()
    }
    tables = data_tables(pipeline)
    counts_error = None
    try:
        counts: dict[str, int] = row_counts(pipeline, tables)
    except Exception as exc:  # unreachable destination: status still shows the rest
        counts, counts_error = {}, f"could not count rows in the destination: {exc}"

    tables_of: dict[str, list[str]] = {}
    for table in tables:
        tables_of.setdefault(resource_of_table(pipeline, table) or table, []).append(table)

    # and the resources that failed alone with nothing to show yet (a lookup's first run)
    failed = {name for record in history for name in record.failed or ()}
    resources: dict[str, Any] = {}
    for name in sorted(set(cursors) | set(tables_of) | failed):
        cursor = cursors.get(name)
        cursor_ts = _as_unix(cursor)
        own_tables = tables_of.get(name, [])
        resources[name] = {
            "cursor": cursor,
            "cursor_at": _iso(cursor_ts) if cursor_ts is not None else None,
            "lag_seconds": None if cursor_ts is None else max(0, round(now - cursor_ts)),
            # rows of the resource's own table (the one named after it, else its first root)
            "rows": counts.get(name, counts.get(own_tables[0]) if own_tables else None),
            "tables": {t: counts.get(t) for t in own_tables},
            "last_success": _run_summary(_latest(history, True, name)),
            "last_failure": _run_summary(_latest(history, False, name)),
        }
    return {
        "pipeline": pipeline_name,
        "destination": destination_kind(pipeline),
        "dataset": pipeline.dataset_name,
        "history": _history_versions(pipeline),
        "api_now": _iso(now),
        "last_successful_load": _last_load(pipeline),
        "last_run": _last_run(pipeline),
        "last_success": _run_summary(_latest(history, True)),
        "last_failure": _run_summary(_latest(history, False)),
        "row_count_error": counts_error,
        "resources": resources,
    }


def _history_versions(pipeline: dlt.Pipeline) -> dict[str, int] | None:
    """Versions per `<table>_history` table ({}: history mode never ran here; None: not
    readable, e.g. files)."""
    if destination_kind(pipeline) not in HISTORY_DESTINATIONS:
        return None
    try:
        return history_row_counts(pipeline)
    except Exception:  # an unreachable destination is reported by the row counts
        return None


RECENT_FAILURES = 5


def history_status(pipeline_name: str, history: list[RunRecord]) -> dict[str, Any]:
    """Status from the run history alone: every run failed, nothing was loaded."""
    failures = [r for r in history if not r.ok]
    return {
        "pipeline": pipeline_name,
        "destination": None,
        "dataset": None,
        "loaded": False,
        "runs": len(history),
        "last_success": None,
        "last_failure": _run_summary(_latest(history, False)),
        "recent_failures": [_run_summary(r) for r in failures[-RECENT_FAILURES:]][::-1],
        "resources": {},
    }


def format_history_status(status: dict[str, Any]) -> str:
    lines = [
        f"pipeline {status['pipeline']}: nothing loaded yet ({status['runs']} run(s), all "
        "failed; the next successful run starts from the beginning)",
        f"last {len(status['recent_failures'])} failure(s), newest first:",
    ]
    for failure in status["recent_failures"]:
        lines.append(f"  {failure['at']} (exit {failure['exit_code']}): {failure['message']}")
    return "\n".join(lines)


def _format_lag(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def format_status(status: dict[str, Any]) -> str:
    lines = [f"pipeline {status['pipeline']} → {status['destination']} / {status['dataset']}"]
    load = status["last_successful_load"] or {}
    if "error" in load:
        lines.append(f"last committed load: {load['error']}")
    else:
        described = f"{load['load_id']} at {load['inserted_at']}" if load else "never"
        lines.append(f"last committed load: {described}")
    versions = status.get("history")
    if versions:
        listed = ", ".join(f"{table} {count}" for table, count in versions.items())
        lines.append(f"history mode: on, versions kept: {listed} (docs/history.md)")
    elif versions is not None:
        lines.append("history mode: off (--history or [sources.intercom] history = true)")
    if status["last_failure"]:
        failure = status["last_failure"]
        lines.append(
            f"last failure: {failure['at']} (exit {failure['exit_code']}): {failure['message']}"
        )
    if status["row_count_error"]:
        lines.append(status["row_count_error"])
    header = ("resource", "cursor", "lag", "rows", "last success", "last failure")
    table = [header]
    for name, info in status["resources"].items():
        success, failure = info["last_success"], info["last_failure"]
        table.append(
            (
                name,
                info["cursor_at"] or "-",
                _format_lag(info["lag_seconds"]),
                "-" if info["rows"] is None else str(info["rows"]),
                success["at"] if success else "never",
                f"{failure['at']} (exit {failure['exit_code']})" if failure else "never",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def print_status(
    pipeline_name: str,
    pipelines_dir: str | None,
    destination: str | None,
    duckdb_file: str | None,
    as_json: bool,
) -> int:
    status = collect_status(pipeline_name, pipelines_dir, destination, duckdb_file)
    if as_json:
        print(json.dumps(status, indent=2, default=str))
    elif status.get("loaded") is False:
        print(format_history_status(status))
    else:
        print(format_status(status))
    return ExitCode.OK
