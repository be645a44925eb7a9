"""Run one sync, the engine behind `intercom-sync run`, `backfill` and `demo`: one run at a
time per pipeline, the extract-normalize-load steps, the run history and the translation of
failures into one line and an exit code. Options: `options.py`; what it runs with:
`construct.py`; the load step: `load.py`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dlt
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

from pipelines.destinations import dlt_defaults, duckdb_memory
from pipelines.destinations.history_tables import record_versions
from pipelines.destinations.staging import drop_staging_dataset
from pipelines.errors import ConfigError, SyncError, Terminated
from pipelines.exit_codes import ExitCode
from pipelines.run.construct import (
    apply_table_format,
    build_client,
    check_history_supported,
    configured_history,
    ensure_folder,
    loader_file_format,
    make_pipeline,
    merge_strategy_for,
    source_deletes,
    warn_if_start_date_is_ignored,
)
from pipelines.run.failures import interruption, translate_error
from pipelines.run.history import RunRecord, record_run
from pipelines.run.interrupted_load import interrupted_load_detail, note_interrupted_load
from pipelines.run.load import (
    after_load,
    partially_loaded,
    run_with_memory_to_load,
)
from pipelines.run.lock import LockedError, pipeline_lock
from pipelines.run.migrations import migrate_warehouse
from pipelines.run.names import check_dataset_name, check_pipeline_name
from pipelines.run.options import (
    ResourcesFailed,
    SyncOptions,
    SyncResult,
    pipelines_dir_of,
    refresh_mode,
    validate_start_date,
)
from pipelines.run.process_tuning import fewer_gc_passes, limit_malloc_arenas
from sources.intercom import intercom
from sources.intercom.client import IntercomClient
from sources.intercom.contained import ResourceFailures, read_lookups_first
from sources.intercom.conversation_attributes import conversation_attribute_definitions
from sources.intercom.errors import IntercomError
from sources.intercom.optional import split_resources
from sources.intercom.schema import custom_attribute_columns
from sources.intercom.settings import (
    REPLACED_RESOURCES,
    destination_kind,
)
from sources.intercom.workspace import Workspace

log = logging.getLogger("intercom_sync")


@contextmanager
def locked(options: SyncOptions, pipeline: dlt.Pipeline) -> Iterator[None]:
    with pipeline_lock(Path(pipeline.pipelines_dir), options.pipeline_name):
        yield


def run_sync(options: SyncOptions) -> SyncResult:
    """One sync: check the token, finish any interrupted load, extract and load. Every
    outcome but "another run holds the lock" is appended to the run history (status)."""
    # Before anything is recorded: the pipeline name names the history file.
    check_pipeline_name(options.pipeline_name)
    check_dataset_name(options.dataset)
    started = time.time()
    client: IntercomClient | None = None
    record: RunRecord | None = RunRecord(started_at=started, finished_at=started, ok=False)
    record.resources = options.resources
    if options.destination == "duckdb":
        record.duckdb_file = str(Path(options.duckdb_file).resolve())
    try:
        ensure_folder(
            pipelines_dir_of(options),
            "pipelines",
            "pass a writable --pipelines-dir (or DLT_DATA_DIR)",
        )
        if options.destination == "duckdb":
            ensure_folder(
                Path(options.duckdb_file).parent, "DuckDB file's", "pass a writable --duckdb-file"
            )
        dlt_defaults.install(options.destination)
        if options.destination == "duckdb":
            duckdb_memory.quiet_handled_out_of_memory_logs()
        client = build_client(options)
        limit_malloc_arenas()
        with fewer_gc_passes():
            result = _sync(options, client)
    except LockedError:
        record = None  # not a run of its own: the run holding the lock is the one that counts
        raise
    except BaseException as exc:
        error = exc if isinstance(exc, SyncError) else translate_error(exc, options.destination)
        if isinstance(exc, Terminated):
            error = SyncError(
                f"terminated (SIGTERM){interrupted_load_detail(exc)}", ExitCode.TERMINATED
            )
        elif isinstance(exc, KeyboardInterrupt):
            error = SyncError(f"interrupted{interrupted_load_detail(exc)}", ExitCode.INTERRUPTED)
        record.exit_code = int(error.exit_code)
        record.message = str(error)
        interrupted = isinstance(exc, KeyboardInterrupt)
        if not interrupted and error is not exc and error.exit_code != ExitCode.UNEXPECTED:
            # A failure outside the steps `_sync` translates (e.g. dlt refusing the destination
            # name): raised as the documented error. Bugs keep their traceback for `-v`.
            raise error from exc
        raise
    else:
        record.rows = result.rows_by_table
        if result.failed:
            partial = ResourcesFailed(result)
            record.failed = sorted(result.failed)
            record.exit_code, record.message = int(partial.exit_code), str(partial)
            raise partial
        record.ok = True
        return result
    finally:
        if client is not None:
            if record is not None:
                record.server_time = client.server_time()
            client.close()
        if record is not None:
            record.finished_at = time.time()
            _record_safely(options, record)


def _record_safely(options: SyncOptions, record: RunRecord) -> None:
    try:
        record_run(pipelines_dir_of(options), options.pipeline_name, record)
    except OSError as exc:  # the history is for status; never fail a sync over it
        log.warning("could not write the run history: %s", exc)


def _sync(options: SyncOptions, client: IntercomClient) -> SyncResult:
    started = time.monotonic()
    start_date = validate_start_date(options.start_date)
    try:
        client.me()  # fail on a bad token or version before any data work (read once)
    except IntercomError as exc:
        raise translate_error(exc) from None
    pipeline = make_pipeline(options)
    options = replace(options, history=configured_history(options))
    if options.history:
        check_history_supported(pipeline)
    warn_if_start_date_is_ignored(pipeline, options)
    failures = ResourceFailures()  # a resource out of retries ends alone (contained.py)
    workspace = Workspace(client)
    # an opt-in named in --resources runs its parent resource with it switched on (optional.py)
    resources, named = split_resources(options.resources or ())
    include = sorted({*(options.include or ()), *named})
    try:
        source = intercom(
            **({"include": include} if include else {}),
            client=client,
            failures=failures,
            workspace=workspace,
            start_date=start_date,
            end_date=options.end_date,
            reconcile=options.reconcile,
            merge_strategy=merge_strategy_for(pipeline),
            **source_deletes(pipeline, options),
        )
    except ConfigValueCannotBeCoercedException as exc:
        raise translate_error(exc) from None
    except ValueError as exc:  # a setting out of range, e.g. page_size
        raise ConfigError(f"[sources.intercom] {exc}") from None
    if resources:
        unknown = sorted(set(resources) - set(source.resources))
        if unknown:
            raise ConfigError(
                f"unknown resource(s) {', '.join(unknown)}; "
                f"choose from: {', '.join(source.resources)}"
            )
        # --reconcile keeps the tombstone scans of the selected entities.
        scans = [f"{name}_deleted" for name in resources]
        source = source.with_resources(
            *resources, *(name for name in scans if name in source.resources)
        )
    if options.table_format:
        if destination_kind(pipeline) != "filesystem":
            raise ConfigError(
                f"--table-format {options.table_format} is for the filesystem destination; "
                f"{destination_kind(pipeline)} tables are merged without it"
            )
        apply_table_format(source, options.table_format)
    with locked(options, pipeline):
        finished_pending = False
        try:
            if pipeline.has_pending_data and partially_loaded(pipeline):
                # Killed while loading: finishing would re-run the job in flight, whose
                # insert may already be committed (duplicate rows). Abort the package
                # instead (dlt restores the state it started from) and extract again below;
                # merges make reloading what did land idempotent.
                log.warning("re-extracting the partially loaded data of an interrupted run")
                pipeline.abort_packages()
            if pipeline.has_pending_data:
                # After a crash dlt only loads the pending package on the next run();
                # finish it first, then extract new data in this same invocation.
                log.warning("finishing the load package left by an interrupted run")
                pending, _ = run_with_memory_to_load(pipeline, options, pipeline.run)
                finished_pending = True
                after_load(pipeline, options, pending)
            # (after any pending package: it was extracted in the old shapes)
            # a warehouse of an earlier version: today's columns
            migrate_warehouse(
                pipeline,
                lambda: custom_attribute_columns(conversation_attribute_definitions(client)),
                refreshing=options.full_refresh,
            )
            if options.history:  # a step a crash cut short, before this load overwrites
                record_versions(pipeline)
            if options.full_refresh:
                drop_staging_dataset(pipeline)  # a leftover one fails dlt's refresh (staging.py)
            # a lookup out of retries is left out, its table kept (contained.py)
            read_lookups_first(source, workspace, failures)
            info, rows = run_with_memory_to_load(
                pipeline,
                options,
                lambda: pipeline.run(
                    source,
                    loader_file_format=loader_file_format(pipeline),
                    refresh=refresh_mode(options),
                ),
            )
            info.raise_on_failed_jobs()
            history = after_load(pipeline, options, info)
        except Exception as exc:
            # Ctrl-C / SIGTERM inside a dlt step arrives wrapped in dlt's step failure.
            interrupt = interruption(exc)
            if interrupt is not None:
                note_interrupted_load(pipeline, interrupt)  # during the load: what landed
                raise interrupt from None
            raise translate_error(exc, destination_kind(pipeline)) from None
    return SyncResult(
        load_info=info,
        rows_by_table={t: n for t, n in sorted(rows.items()) if not t.startswith("_dlt")},
        requests=client.stats.requests,
        retries=client.stats.retries,
        rate_limited=client.stats.rate_limited,
        seconds=time.monotonic() - started,
        finished_pending=finished_pending,
        server_time=client.server_time(),
        failed=failures.failed,
        no_table=_without_table(pipeline, failures.failed),
        history=history,
    )


def _without_table(pipeline: dlt.Pipeline, failed: dict[str, str]) -> list[str]:
    """The failed lookups with no table loaded yet (dlt's schema: what the destination has)."""
    loaded = {t["name"] for t in pipeline.default_schema.data_tables(seen_data_only=True)}
    return [name for name in failed if name in REPLACED_RESOURCES and name not in loaded]
