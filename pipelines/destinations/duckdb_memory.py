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

So the defaults are small (`DEFAULTS`), and a load that runs out of memory is loaded again
from the same package with the limit doubled (`raised_memory_limit`), up to half the
machine's memory: nothing is re-extracted and nothing is lost. dlt hands such a job back at
its first failure (`dlt_defaults.DUCKDB_DEFAULTS`), and its log records of it (and its warning
that the package "was not fully loaded") are demoted to DEBUG (`HandledOutOfMemoryLogs`): the
sync's own warning says what happens. Settings the user
gives in `[destination.duckdb.credentials] global_config` win over the defaults, key by key.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import dlt

from pipelines.errors import ConfigError, exception_chain

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
# DuckDB's words for a full buffer pool: an "Out of Memory Error", or the same failure met
# while committing, which DuckDB reports as a transaction error ("TransactionContext Error:
# Failed to commit: failed to pin block of size 256.0 KiB (121.9 MiB/122.0 MiB used)", seen
# loading the `medium` world with history mode).
_OUT_OF_MEMORY = re.compile(
    r"Out of Memory Error|failed to pin block|could not allocate block|failed to allocate data"
)
_NOT_FULLY_LOADED = "was not fully loaded"  # dlt's warning before it raises a load failure
_CONNECT_ONLY = ("custom_user_agent",)  # as in dlt 1.31


def global_config(user: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """DuckDB's global settings for a sync: `DEFAULTS` under the user's own (`user`, or else
    `[destination.duckdb.credentials] global_config` from dlt's config and environment)."""
    if user is None:
        try:
            user = dlt.config.get(USER_CONFIG_KEY, dict) or {}
        except Exception as exc:  # dlt raises its own coercion errors for a malformed value
            raise ConfigError(
                f"{USER_CONFIG_KEY} must be a table of DuckDB settings, e.g. "
                '{ memory_limit = "1GB" } (in the environment: JSON)'
            ) from exc
    if not isinstance(user, Mapping):
        raise ConfigError(f"{USER_CONFIG_KEY} must be a table of DuckDB settings")
    return {**DEFAULTS, **user}


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
    return any(_OUT_OF_MEMORY.search(str(link)) for link in exception_chain(exc))


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


class HandledOutOfMemoryLogs(logging.Filter):
    """For dlt's logger: its error and warning records about a load job that ran out of DuckDB
    memory (each with a traceback) become DEBUG records, shown only with `--verbose`. The sync
    handles that failure itself and says so in one warning (`runner.run_with_memory_to_load`);
    dlt's records would read as a failed sync.

    dlt also warns that the package "was not fully loaded" just before it raises a failed
    load, when nobody knows yet whether the sync will handle the failure. Those warnings are
    held until the runner says (`release`): logged as they were, or as DEBUG if the load runs
    again with more memory."""

    def __init__(self) -> None:
        super().__init__()
        self._held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_released", False):
            return True
        if record.levelno >= logging.WARNING and (
            _OUT_OF_MEMORY.search(record.getMessage())
            or (record.exc_info is not None and is_out_of_memory(record.exc_info[1]))
        ):
            _demote(record)
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        if record.levelno >= logging.WARNING and _NOT_FULLY_LOADED in record.getMessage():
            self._held.append(record)
            return False
        return True

    def release(self, *, handled: bool) -> None:
        """Log the held warnings; as DEBUG when the sync handled the failure (`handled`)."""
        held, self._held = self._held, []
        for record in held:
            if handled:
                _demote(record)
            record._released = True  # type: ignore[attr-defined]
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)


def _demote(record: logging.LogRecord) -> None:
    record.levelno, record.levelname = logging.DEBUG, "DEBUG"
    record.exc_info = record.exc_text = None


def quiet_handled_out_of_memory_logs() -> None:
    """Install `HandledOutOfMemoryLogs` on dlt's logger (once)."""
    if _installed_filter() is None:
        logging.getLogger("dlt").addFilter(HandledOutOfMemoryLogs())


def release_held_load_warnings(*, handled: bool) -> None:
    """`HandledOutOfMemoryLogs.release`, where it is installed (DuckDB syncs)."""
    installed = _installed_filter()
    if installed is not None:
        installed.release(handled=handled)


def _installed_filter() -> HandledOutOfMemoryLogs | None:
    for installed in logging.getLogger("dlt").filters:
        if isinstance(installed, HandledOutOfMemoryLogs):
            return installed
    return None
