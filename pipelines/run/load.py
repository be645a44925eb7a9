"""The load step: DuckDB's out-of-memory reloads with a doubled limit, what a load left, and the work after it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.destinations import duckdb_memory
from pipelines.destinations.history_tables import record_versions
from pipelines.destinations.staging import drop_staging_dataset
from pipelines.run.construct import deletes_after_load
from pipelines.run.options import (
    SyncOptions,
)
from sources.intercom.settings import (
    destination_kind,
)

log = logging.getLogger("intercom_sync")


def after_load(
    pipeline: dlt.Pipeline, options: SyncOptions, info: LoadInfo
) -> dict[str, int] | None:
    """The work after a load; returns the versions history mode wrote per history table (None
    without history mode)."""
    drop_staging_dataset(pipeline)  # analysts see the data, not dlt's empty merge scratch
    if options.table_format == "delta" and destination_kind(pipeline) == "filesystem":
        from pipelines.destinations.delta_prune import prune_nested_rows

        prune_nested_rows(pipeline, info.loads_ids)
        if deletes_after_load(pipeline, options):  # dlt cannot hard-delete there
            from pipelines.destinations.delta_hard_deletes import delete_flagged_rows

            delete_flagged_rows(pipeline)
    if options.history:  # resolved by the sync (construct.configured_history)
        return record_versions(pipeline)
    return None


def run_with_memory_to_load(
    pipeline: dlt.Pipeline, options: SyncOptions, run: Callable[[], LoadInfo]
) -> tuple[LoadInfo, dict[str, int]]:
    """`run()` (a `pipeline.run`), and the rows it normalized per table. Where DuckDB runs out
    of memory loading, its package is loaded again with a doubled `memory_limit` until it
    fits or the limit reaches half the machine's memory (`duckdb_memory`): the package is
    already extracted, so nothing is fetched twice and nothing is lost."""
    attempt: Callable[[], LoadInfo] = run
    rows: dict[str, int] | None = None  # the first run's: the retries only load
    settings: dict[str, Any] = {}
    while True:
        try:
            info = _load_attempt(options, attempt)
            return info, rows if rows is not None else normalized_rows(pipeline)
        except PipelineStepFailed as exc:
            if not _out_of_memory_loading(options, exc):
                raise
            failure = exc
        if rows is None:  # the first out-of-memory failure
            rows, settings = normalized_rows(pipeline), duckdb_memory.global_config()
        limit = duckdb_memory.raised_memory_limit(settings["memory_limit"])
        if limit is None:
            raise failure
        log.warning(
            "DuckDB ran out of memory loading (memory_limit %s); loading the same data again"
            " with %s. Set [destination.duckdb.credentials] global_config.memory_limit to"
            " start there.",
            settings["memory_limit"],
            limit,
        )
        settings["memory_limit"] = limit
        attempt = functools.partial(
            pipeline.load, credentials=duckdb_memory.credentials(options.duckdb_file, settings)
        )


def _out_of_memory_loading(options: SyncOptions, exc: PipelineStepFailed) -> bool:
    return (
        exc.step == "load"
        and options.destination == "duckdb"
        and duckdb_memory.is_out_of_memory(exc)
    )


def _load_attempt(options: SyncOptions, load: Callable[[], LoadInfo]) -> LoadInfo:
    """`load()`, then dlt's held "not fully loaded" warnings: logged, or kept at DEBUG when the
    load failed for want of DuckDB memory (loaded again with more)."""
    handled = False
    try:
        return load()
    except PipelineStepFailed as exc:
        handled = _out_of_memory_loading(options, exc)
        raise
    finally:
        duckdb_memory.release_held_load_warnings(handled=handled)


def normalized_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace else None
    return dict(normalized.row_counts) if normalized else {}


def partially_loaded(pipeline: dlt.Pipeline) -> bool:
    """A pending package with jobs started or completed: a load was interrupted mid-way."""
    for load_id in pipeline.list_normalized_load_packages():
        jobs = pipeline.get_load_package_info(load_id).jobs
        if jobs.get("started_jobs") or jobs.get("completed_jobs"):
            return True
    return False
