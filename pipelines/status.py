"""`intercom-sync status`: the last successful load and the cursor of each resource."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import dlt
from dlt.pipeline.exceptions import CannotRestorePipelineException

from pipelines.errors import ConfigError
from pipelines.exit_codes import ExitCode
from pipelines.runner import make_destination


def _cursor_of(resource_state: Any) -> Any:
    """The cursor a resource keeps: our own `cursor` key, or dlt incremental's `last_value`."""
    if not isinstance(resource_state, dict):
        return None
    if "cursor" in resource_state:
        return resource_state["cursor"]
    for value in resource_state.values():
        if isinstance(value, dict):
            if "last_value" in value:
                return value["last_value"]
            found = _cursor_of(value)
            if found is not None:
                return found
    return None


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


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _last_run(pipeline: dlt.Pipeline) -> dict[str, Any] | None:
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


def collect_status(
    pipeline_name: str, pipelines_dir: str | None, destination: str, duckdb_file: str
) -> dict[str, Any]:
    try:
        pipeline = dlt.attach(
            pipeline_name=pipeline_name,
            pipelines_dir=pipelines_dir,
            destination=make_destination(destination, duckdb_file),
        )
    except CannotRestorePipelineException:
        raise ConfigError(
            f"no pipeline named '{pipeline_name}' here; run `intercom-sync run` first "
            "(or pass the same --pipeline-name/--pipelines-dir)"
        ) from None
    sources = pipeline.state.get("sources", {})
    resources = {
        name: _cursor_of(state)
        for source_state in sources.values()
        for name, state in source_state.get("resources", {}).items()
    }
    return {
        "pipeline": pipeline_name,
        "destination": pipeline.destination.destination_name if pipeline.destination else None,
        "dataset": pipeline.dataset_name,
        "last_successful_load": _last_load(pipeline),
        "last_run": _last_run(pipeline),
        "resources": {name: {"cursor": _iso(cursor)} for name, cursor in sorted(resources.items())},
    }


def print_status(
    pipeline_name: str, pipelines_dir: str | None, destination: str, duckdb_file: str, as_json: bool
) -> int:
    status = collect_status(pipeline_name, pipelines_dir, destination, duckdb_file)
    if as_json:
        print(json.dumps(status, indent=2, default=str))
        return ExitCode.OK
    print(f"pipeline {status['pipeline']} → {status['destination']} / {status['dataset']}")
    print(f"last successful load: {status['last_successful_load'] or 'never'}")
    run = status["last_run"]
    if run:
        outcome = "ok" if run["ok"] else f"FAILED ({run['failure']})"
        print(f"last run: {run['started_at']} → {run['finished_at']}: {outcome}")
    for name, info in status["resources"].items():
        print(f"  {name:<24} cursor {info['cursor']}")
    return ExitCode.OK
