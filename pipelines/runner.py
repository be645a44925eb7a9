"""Build the dlt pipeline and run one sync: the engine behind `intercom-sync run` and `demo`."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pendulum
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.pipeline import LoadInfo, get_dlt_pipelines_dir
from dlt.common.runtime.collector import NULL_COLLECTOR
from dlt.extract import DltSource
from dlt.pipeline.exceptions import CannotRestorePipelineException, PipelineStepFailed

from pipelines import dlt_defaults, duckdb_memory
from pipelines.duckdb_held_open import DuckDbHeldOpenDuringLoad
from pipelines.errors import ConfigError, SyncError, Terminated
from pipelines.exit_codes import ExitCode
from pipelines.failures import interruption, translate_error
from pipelines.history import RunRecord, record_run
from pipelines.lock import LockedError, pipeline_lock
from pipelines.names import check_dataset_name, check_pipeline_name
from pipelines.process_tuning import fewer_gc_passes, limit_malloc_arenas
from sources.intercom import intercom
from sources.intercom.client import IntercomClient
from sources.intercom.errors import AuthError, IntercomError
from sources.intercom.settings import (
    MERGE_STRATEGIES,
    PARQUET_DESTINATIONS,
    destination_kind,
    resolve_access_token,
)

log = logging.getLogger("intercom_sync")

DEFAULT_DUCKDB_FILE = "intercom.duckdb"
# The DuckDB file stem must differ from the dataset name, or DuckDB reports an
# "ambiguous reference to catalog or schema".
DEFAULT_DATASET = "intercom_raw"
DEFAULT_PIPELINE = "intercom"
# Table formats for the filesystem destination; plain parquet files cannot be merged into.
# Only delta is offered: it is tested here, and delta_prune.py completes its merges. (dlt's
# iceberg needs pyiceberg and a catalog, and its upsert has the same nested-rows gap.)
TABLE_FORMATS = ("delta",)


@dataclass
class SyncOptions:
    destination: str = "duckdb"
    duckdb_file: str = DEFAULT_DUCKDB_FILE
    dataset: str = DEFAULT_DATASET
    pipeline_name: str = DEFAULT_PIPELINE
    pipelines_dir: str | None = None
    resources: list[str] | None = None
    start_date: str | None = None
    end_date: str | None = None  # exclusive; a backfill chunk's end (pipelines/backfill.py)
    full_refresh: bool = False
    base_url: str | None = None
    region: str | None = None
    api_version: str | None = None
    access_token: str | None = None  # only from code (tests, demo); the CLI never takes it
    progress: bool = True
    table_format: str | None = None  # filesystem destination: "delta" (merges upsert)
    reconcile: bool = False  # also tombstone deleted contacts/companies/tickets (--reconcile)
    deletes: str | None = None  # "soft" | "hard" (--deletes); None: [sources.intercom] config


@dataclass
class SyncResult:
    load_info: LoadInfo | None
    rows_by_table: dict[str, int]
    requests: int
    retries: int
    rate_limited: int
    seconds: float
    finished_pending: bool = False
    server_time: int | None = None  # the API's clock (`Date`) at the end of the run
    extra: dict[str, Any] = field(default_factory=dict)


def validate_start_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = pendulum.parse(value)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise ConfigError(
            f"start date '{value}' is not an ISO 8601 date such as 2024-01-31 "
            "or 2024-01-31T12:00:00Z"
        ) from None
    if not isinstance(parsed, pendulum.DateTime):  # a bare date
        parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz="UTC")
    if parsed > pendulum.now("UTC"):
        raise ConfigError(f"start date '{value}' is in the future; give a past date")
    return parsed.in_tz("UTC").to_iso8601_string()


# Client settings that may come from `[sources.intercom]` in dlt's config, with their types
# (values from environment variables arrive as strings).
CLIENT_SETTINGS: dict[str, type] = {
    "base_url": str,
    "region": str,
    "api_version": str,
    "max_concurrency": int,
    "max_retries": int,
    "timeout": float,
}


def build_client(options: SyncOptions) -> IntercomClient:
    try:
        token = resolve_access_token(options.access_token)
    except AuthError as exc:  # no token configured at all: a configuration problem
        raise ConfigError(str(exc)) from None
    overrides = {
        "base_url": options.base_url,
        "region": options.region,
        "api_version": options.api_version,
    }
    kwargs: dict[str, Any] = {}
    for key, kind in CLIENT_SETTINGS.items():
        value = overrides.get(key)
        if value is None:
            value = dlt.config.get(f"sources.intercom.{key}")
        if value is None:
            continue
        try:
            kwargs[key] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"[sources.intercom] {key} = {value!r} is not a valid {kind.__name__}"
            ) from None
    try:
        return IntercomClient(token, **kwargs)
    except ValueError as exc:  # e.g. an unknown region
        raise ConfigError(str(exc)) from None


def make_destination(
    destination: str, duckdb_file: str, settings: dict[str, Any] | None = None
) -> Any:
    """A destination name for dlt to configure, or DuckDB at an explicit file with the sync's
    memory settings (`settings`, else read: `duckdb_memory.global_config`)."""
    if destination == "duckdb":
        if settings is None:
            settings = duckdb_memory.global_config()
        return duckdb_memory.destination(duckdb_file, settings)
    return destination


def loader_file_format(pipeline: dlt.Pipeline) -> str | None:
    """Parquet where it loads natively; elsewhere dlt's preferred format (e.g. postgres:
    insert_values, as parquet there needs the ADBC driver)."""
    return "parquet" if destination_kind(pipeline) in PARQUET_DESTINATIONS else None


def pipelines_dir_of(options: SyncOptions) -> str:
    return options.pipelines_dir or get_dlt_pipelines_dir()


def ensure_folder(path: str | Path, what: str, fix: str) -> None:
    """Create folder `path` (the pipelines' state, the DuckDB file's) or say why it cannot be."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the {what} folder {path} ({exc.strerror or exc}): {fix}"
        ) from None


def attach_existing(pipeline_name: str, pipelines_dir: str | None) -> dlt.Pipeline:
    """The pipeline an earlier run left in `pipelines_dir` (for status and schema)."""
    try:
        return dlt.attach(pipeline_name=pipeline_name, pipelines_dir=pipelines_dir)
    except CannotRestorePipelineException:
        raise ConfigError(
            f"no pipeline named '{pipeline_name}' here; run `intercom-sync run` first "
            "(or pass the same --pipeline-name/--pipelines-dir)"
        ) from None


def make_pipeline(options: SyncOptions) -> dlt.Pipeline:
    # DuckDB's settings, read once for the destination and the connection held open
    settings = duckdb_memory.global_config() if options.destination == "duckdb" else None
    destination = make_destination(options.destination, options.duckdb_file, settings)
    progress: Any = (
        # A logger, not a stream: progress lines follow --log-format (json for log shippers).
        dlt.progress.log(log_period=10, logger=log, dump_system_stats=False)
        if options.progress
        else None
    )
    if settings is not None:
        connect = duckdb_memory.connect_config(settings)
        progress = DuckDbHeldOpenDuringLoad(
            options.duckdb_file, progress or NULL_COLLECTOR, connect
        )
    kwargs: dict[str, Any] = {
        "pipeline_name": options.pipeline_name,
        "destination": destination,
        "dataset_name": options.dataset,
    }
    if options.pipelines_dir:
        kwargs["pipelines_dir"] = options.pipelines_dir
    if progress is not None:
        kwargs["progress"] = progress
    return dlt.pipeline(**kwargs)


def _warn_if_start_date_is_ignored(pipeline: dlt.Pipeline, options: SyncOptions) -> None:
    """`--start-date` bounds a resource's first run only: say so where a cursor exists."""
    if not options.start_date or options.full_refresh:
        return
    resources = pipeline.state.get("sources", {}).get("intercom", {}).get("resources", {})
    chosen = options.resources or list(resources)
    ignored = sorted(name for name in chosen if resources.get(name))
    if ignored:
        log.warning(
            "--start-date is ignored for %s: they already have a cursor (it bounds a "
            "resource's first run only; --full-refresh reloads from it)",
            ", ".join(ignored),
        )


def refresh_mode(options: SyncOptions) -> str | None:
    """dlt's `refresh` for `--full-refresh`: with `--resources`, only those resources' tables
    and state are dropped (dlt's `drop_sources` would drop every table of the source)."""
    if not options.full_refresh:
        return None
    return "drop_resources" if options.resources else "drop_sources"


def merge_strategy_for(pipeline: dlt.Pipeline) -> str:
    """How the big tables are merged on this destination: `upsert` where dlt can, else
    `delete-insert` (Redshift, ClickHouse …); fail before any data work where dlt can do
    neither."""
    kind = destination_kind(pipeline)
    if kind == "filesystem":
        return "upsert"  # with a table format; plain parquet appends (documented)
    caps = pipeline.destination.capabilities() if pipeline.destination else None
    if caps is None:
        return "upsert"
    for strategy in MERGE_STRATEGIES:
        if strategy in caps.supported_merge_strategies:
            return strategy
    raise ConfigError(
        f"dlt's {kind} destination can neither upsert nor delete-insert, which the contacts, "
        "companies, conversations and tickets tables need; use another destination "
        "(see README: Destinations)"
    )


def apply_table_format(source: DltSource, table_format: str) -> None:
    """`table_format` on every table of every resource. `pipeline.run(table_format=…)` sets
    only a resource's base hints, and the conversation/ticket resources declare each of their
    tables (root, parts, deletions) as a table variant, which would stay plain parquet —
    and plain parquet cannot be merged into (dlt falls back to append)."""
    for resource in source.resources.values():
        resource.apply_hints(table_format=table_format)
        # dlt has no public accessor for a resource's table variants.
        for variant in list(getattr(resource, "_hints_variants", {})):
            resource.apply_hints(
                table_name=variant, table_format=table_format, create_table_variant=True
            )


def _after_load(pipeline: dlt.Pipeline, options: SyncOptions, info: LoadInfo) -> None:
    if options.table_format == "delta" and destination_kind(pipeline) == "filesystem":
        from pipelines.delta_prune import prune_nested_rows

        prune_nested_rows(pipeline, info.loads_ids)


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
            return info, rows if rows is not None else _normalized_rows(pipeline)
        except PipelineStepFailed as exc:
            if not _out_of_memory_loading(options, exc):
                raise
            failure = exc
        if rows is None:  # the first out-of-memory failure
            rows, settings = _normalized_rows(pipeline), duckdb_memory.global_config()
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


def _normalized_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
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
            error = SyncError("terminated (SIGTERM)", ExitCode.TERMINATED)
        elif isinstance(exc, KeyboardInterrupt):
            error = SyncError("interrupted", ExitCode.INTERRUPTED)
        record.exit_code = int(error.exit_code)
        record.message = str(error)
        interrupted = isinstance(exc, KeyboardInterrupt)
        if not interrupted and error is not exc and error.exit_code != ExitCode.UNEXPECTED:
            # A failure outside the steps `_sync` translates (e.g. dlt refusing the destination
            # name): raised as the documented error. Bugs keep their traceback for `-v`.
            raise error from exc
        raise
    else:
        record.ok = True
        record.rows = result.rows_by_table
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
    _warn_if_start_date_is_ignored(pipeline, options)
    try:
        source = intercom(
            client=client,
            start_date=start_date,
            end_date=options.end_date,
            reconcile=options.reconcile,
            merge_strategy=merge_strategy_for(pipeline),
            # Only when given: else dlt's config ([sources.intercom] deletes) applies.
            **({"deletes": options.deletes} if options.deletes else {}),
        )
    except ConfigValueCannotBeCoercedException as exc:
        raise translate_error(exc) from None
    except ValueError as exc:  # a setting out of range, e.g. page_size
        raise ConfigError(f"[sources.intercom] {exc}") from None
    if options.resources:
        unknown = sorted(set(options.resources) - set(source.resources))
        if unknown:
            raise ConfigError(
                f"unknown resource(s) {', '.join(unknown)}; "
                f"choose from: {', '.join(source.resources)}"
            )
        # --reconcile keeps the tombstone scans of the selected entities.
        scans = [f"{name}_deleted" for name in options.resources]
        source = source.with_resources(
            *options.resources, *(name for name in scans if name in source.resources)
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
                _after_load(pipeline, options, pending)
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
            _after_load(pipeline, options, info)
        except Exception as exc:
            # Ctrl-C / SIGTERM inside a dlt step arrives wrapped in dlt's step failure.
            interrupt = interruption(exc)
            if interrupt is not None:
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
    )


def format_summary(result: SyncResult) -> str:
    lines = ["Sync finished."]
    if result.finished_pending:
        lines.append("  (first finished loading the data of an interrupted run)")
    total = sum(result.rows_by_table.values())
    lines.append(f"  rows loaded: {total}")
    width = max((len(t) for t in result.rows_by_table), default=0)
    for table, count in result.rows_by_table.items():
        lines.append(f"    {table:<{width}}  {count:>9}")
    lines.append(
        f"  requests: {result.requests}  retries: {result.retries}  "
        f"429s: {result.rate_limited}  time: {result.seconds:.1f}s"
    )
    return "\n".join(lines)
