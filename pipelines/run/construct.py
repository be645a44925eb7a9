"""Building what a sync runs with: the Intercom client, the dlt destination and pipeline, and the source's merge strategy and table format."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.pipeline.exceptions import CannotRestorePipelineException
from dlt.sources import DltSource

from pipelines.destinations import duckdb_memory
from pipelines.destinations.duckdb_held_open import DuckDbHeldOpenDuringLoad
from pipelines.destinations.history_tables import check_history_destination
from pipelines.errors import ConfigError
from pipelines.run.api_versions import check_api_version
from pipelines.run.options import (
    SyncOptions,
)
from pipelines.run.progress import collector as sync_progress
from sources.intercom.client import IntercomClient
from sources.intercom.dlt_compat import table_variants
from sources.intercom.errors import AuthError
from sources.intercom.settings import (
    MERGE_STRATEGIES,
    PARQUET_DESTINATIONS,
    destination_kind,
    resolve_access_token,
)
from sources.intercom.tombstones import HARD, SOFT

log = logging.getLogger("intercom_sync")

# Client settings that may come from `[sources.intercom]` in dlt's config, with their types
# (values from environment variables arrive as strings).
CLIENT_SETTINGS: dict[str, type] = {
    "base_url": str,
    "region": str,
    "api_version": str,
    "max_concurrency": int,
    "max_retries": int,
    "timeout": float,
    "backoff_base_s": float,
    "backoff_max_s": float,
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
    if "api_version" in kwargs:  # before any request: the shapes of other versions are unknown
        setting = "--api-version" if options.api_version else "[sources.intercom] api_version ="
        kwargs["api_version"] = check_api_version(kwargs["api_version"], setting)
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


def duckdb_loading(
    duckdb_file: str, settings: dict[str, Any], progress: Any = None
) -> tuple[Any, DuckDbHeldOpenDuringLoad]:
    """The destination and progress collector a sync loads DuckDB with: `settings`, one load
    job at a time, and the file held open for the load step around `progress`."""
    connect = duckdb_memory.connect_config(settings)
    return (
        make_destination("duckdb", duckdb_file, settings),
        DuckDbHeldOpenDuringLoad(duckdb_file, progress, connect),
    )


def make_pipeline(options: SyncOptions) -> dlt.Pipeline:
    # On a logger, not a stream: progress lines follow --log-format (json for log shippers).
    progress: Any = sync_progress(options.progress)
    if options.destination == "duckdb":
        # DuckDB's settings, read once for the destination and the connection held open
        settings = duckdb_memory.global_config()
        destination, progress = duckdb_loading(options.duckdb_file, settings, progress)
    else:
        destination = make_destination(options.destination, options.duckdb_file)
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


def warn_if_start_date_is_ignored(pipeline: dlt.Pipeline, options: SyncOptions) -> None:
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


def configured_deletes(options: SyncOptions) -> str | None:
    """The `deletes` mode of this sync: `--deletes`, else `[sources.intercom] deletes` (None:
    the source's default). The source checks the value."""
    value = options.deletes or dlt.config.get("sources.intercom.deletes")
    return None if value is None else str(value)


def configured_history(options: SyncOptions) -> bool:
    """Whether this sync keeps every version (`--history`, else `[sources.intercom] history`;
    docs/history.md)."""
    if options.history is not None:
        return bool(options.history)
    try:
        value = dlt.config.get("sources.intercom.history", bool)
    except ConfigValueCannotBeCoercedException:
        raise ConfigError(
            "[sources.intercom] history must be true or false (docs/history.md)"
        ) from None
    return bool(value)


def check_history_supported(pipeline: dlt.Pipeline) -> None:
    """History mode where it can work, else one line and exit 2 before any request."""
    try:
        check_history_destination(destination_kind(pipeline))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def deletes_after_load(pipeline: dlt.Pipeline, options: SyncOptions) -> bool:
    """Whether records that left are removed by the sync after the load rather than by dlt:
    `deletes = "hard"` on delta tables, where dlt 1.31 refuses `hard_delete`. The source then
    loads them flagged, as in soft mode (`delta_hard_deletes`)."""
    return (
        options.table_format == "delta"
        and destination_kind(pipeline) == "filesystem"
        and configured_deletes(options) == HARD
    )


def source_deletes(pipeline: dlt.Pipeline, options: SyncOptions) -> dict[str, str]:
    """The source's `deletes` argument: given only when set here, else dlt's config applies."""
    if deletes_after_load(pipeline, options):
        return {"deletes": SOFT}
    return {"deletes": options.deletes} if options.deletes else {}


def apply_table_format(source: DltSource, table_format: str) -> None:
    """`table_format` on every table of every resource. `pipeline.run(table_format=…)` sets
    only a resource's base hints, and the conversation/ticket resources declare each of their
    tables (root, parts, deletions) as a table variant, which would stay plain parquet —
    and plain parquet cannot be merged into (dlt falls back to append)."""
    for resource in source.resources.values():
        resource.apply_hints(table_format=table_format)
        for variant in list(table_variants(resource)):
            resource.apply_hints(
                table_name=variant, table_format=table_format, create_table_variant=True
            )
