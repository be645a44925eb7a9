"""DuckDB's memory during a sync's load: small defaults, and a bigger budget only when needed.

dlt's load into DuckDB is a sync's memory peak. What drives it (measured, bench/ and README
"Performance"):

- **Parallel load jobs.** dlt starts up to 20 jobs at once; into one embedded DuckDB each
  holds its own buffers on top of the shared pool. One job at a time cut the peak of a
  1M-contact sync by ~80 MB (two at a time: ~10 MB), to 470 MB. Alone, it cost CPU where
  there are many small jobs, because dlt then opened and closed the database for each one;
  `duckdb_held_open` keeps it open for the load step instead.
- **`memory_limit`.** DuckDB's buffer pool fills to its limit before it spills; the process
  then holds about the limit plus what the running statement needs outside the pool.
- **Width, not length.** dlt's upsert is a `MERGE`, which pins blocks per column: a 106-column
  conversations merge runs out of memory at 128 MB where 1M rows of 58 columns do not, and a
  200-column table (a workspace with many custom attributes) at 256 MB.

So the defaults are small (`DEFAULTS`); as the load step starts, the limit is doubled until
it gives every column of the widest table waiting to load `MEMORY_PER_COLUMN`
(`size_for_load`); and a load that still runs out of memory is loaded again from the same
package with the limit doubled (`raised_memory_limit`), up to half the machine's memory:
nothing is re-extracted and nothing is lost. Settings the user gives in
`[destination.duckdb.credentials] global_config` win over the defaults, key by key; a
`memory_limit` the user set is not sized (only raised after running out of memory).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import dlt

from pipelines.errors import ConfigError, exception_chain

log = logging.getLogger("intercom_sync")

DEFAULTS: dict[str, Any] = {
    "memory_limit": "128MB",
    # One thread: the sync's other core extracts; more threads each hold their own buffers.
    "threads": 1,
    "preserve_insertion_order": False,  # lets DuckDB stream inserts instead of buffering
    # DuckDB otherwise keeps each parquet file it reads in memory (~50 MB of a 1M-contact load).
    "enable_external_file_cache": False,
}
# One load job at a time into DuckDB (dlt's `loader_parallelism_strategy`): see above.
# `[load] parallelism_strategy = "parallel"` in the config overrides it.
LOAD_PARALLELISM = "sequential"
USER_CONFIG_KEY = "destination.duckdb.credentials.global_config"
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40})
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_OUT_OF_MEMORY = "Out of Memory Error"
_CONNECT_ONLY = ("custom_user_agent",)  # as in dlt 1.31
# What a MERGE needs per column (measured, README "Performance"): 58 columns merge within
# 128 MB, 106 do not; 200 columns need more than 256 MB.
MEMORY_PER_COLUMN = 2 * 10**6


def global_config(user: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """DuckDB's global settings for a sync: `DEFAULTS` under the user's own (`user`, or else
    `user_global_config()`)."""
    return {**DEFAULTS, **(user_global_config() if user is None else user)}


def user_global_config() -> dict[str, Any]:
    """`[destination.duckdb.credentials] global_config` from dlt's config and environment."""
    try:
        user = dlt.config.get(USER_CONFIG_KEY, dict) or {}
    except Exception as exc:  # dlt raises its own coercion errors for a malformed value
        raise ConfigError(
            f"{USER_CONFIG_KEY} must be a table of DuckDB settings, e.g. "
            '{ memory_limit = "1GB" } (in the environment: JSON)'
        ) from exc
    if not isinstance(user, Mapping):
        raise ConfigError(f"{USER_CONFIG_KEY} must be a table of DuckDB settings")
    return dict(user)


def destination(duckdb_file: str, settings: Mapping[str, Any]) -> Any:
    """DuckDB at `duckdb_file` with these global settings, one load job at a time."""
    return dlt.destinations.duckdb(
        credentials=credentials(duckdb_file, settings),
        loader_parallelism_strategy=LOAD_PARALLELISM,
    )


def credentials(duckdb_file: str, settings: Mapping[str, Any]) -> Any:
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    return DuckDbCredentials(duckdb_file, global_config=dict(settings))


def connect_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings DuckDB takes only when the database is opened: dlt passes these to
    `duckdb.connect` and `SET`s the rest (`DuckDbConnectionPool.borrow_conn`). Another
    connection to the same file must open it with exactly these, or DuckDB refuses it."""
    return {key: value for key, value in settings.items() if key in _CONNECT_ONLY}


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether DuckDB ran out of memory somewhere in this exception's chain."""
    return any(_OUT_OF_MEMORY in str(link) for link in exception_chain(exc))


def size_in_bytes(size: Any) -> int | None:
    """`memory_limit` as DuckDB reads it ("128MB", "1.5GiB", "512 mb") in bytes; None for
    anything else (e.g. a percentage), which is then never raised."""
    match = _SIZE.match(str(size))
    if not match or match.group(2).lower() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def machine_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def raised_memory_limit(limit: Any, ceiling: int | None = None) -> str | None:
    """Twice `limit`, capped at `ceiling` (half the machine's memory); None when it cannot
    grow: already at the ceiling, or a limit that is not a size."""
    current = size_in_bytes(limit)
    ceiling = machine_memory() // 2 if ceiling is None else ceiling
    if current is None or current >= ceiling:
        return None
    return f"{min(current * 2, ceiling) // 10**6}MB"


def memory_limit_for(columns: int, limit: Any, ceiling: int | None = None) -> Any:
    """`limit`, doubled until it gives each of `columns` `MEMORY_PER_COLUMN` (up to the
    ceiling of `raised_memory_limit`); a limit that is not a size is left as it is."""
    current = size_in_bytes(limit)
    while current is not None and current < columns * MEMORY_PER_COLUMN:
        raised = raised_memory_limit(limit, ceiling)
        if raised is None:
            break
        limit, current = raised, size_in_bytes(raised)
    return limit


def live_settings(pipeline: dlt.Pipeline) -> dict[str, Any] | None:
    """The global settings of the credentials this pipeline's DuckDB destination loads with
    (the dict itself: dlt reads it when the load opens the database); None elsewhere."""
    destination = pipeline.destination
    credentials = destination.config_params.get("credentials") if destination else None
    settings = getattr(credentials, "global_config", None)
    return settings if isinstance(settings, dict) else None


def widest_table_to_load(pipeline: dlt.Pipeline) -> tuple[str, int] | None:
    """(table, its number of columns) for the widest table the pipeline's normalized load
    packages write; None when nothing is waiting to load."""
    widest: tuple[str, int] | None = None
    for load_id in pipeline.list_normalized_load_packages():
        package = pipeline.get_load_package_info(load_id)
        schema = pipeline.schemas.get(package.schema_name) or pipeline.default_schema
        for job in package.jobs.get("new_jobs", []):
            table = job.job_file_info.table_name
            columns = len(schema.tables.get(table, {}).get("columns", {}))
            if widest is None or columns > widest[1]:
                widest = (table, columns)
    return widest


def size_for_load(pipeline: dlt.Pipeline) -> None:
    """Before dlt's load step: raise the `memory_limit` it loads with to what the widest table
    waiting to load needs (`memory_limit_for`), so that a wide table does not first run out of
    memory (dlt would retry it five times, logging each, before the retry with a higher limit
    in `runner.run_with_memory_to_load`). A `memory_limit` the user set is left as it is."""
    settings = live_settings(pipeline)
    if settings is None or "memory_limit" in user_global_config():
        return
    widest = widest_table_to_load(pipeline)
    if widest is None:
        return
    table, columns = widest
    limit = memory_limit_for(columns, settings["memory_limit"])
    if limit != settings["memory_limit"]:
        log.info(
            "DuckDB memory_limit %s for this load: its widest table, %s, has %d columns",
            limit,
            table,
            columns,
        )
        settings["memory_limit"] = limit
