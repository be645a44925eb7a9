"""Which DuckDB file a command uses, and why: one rule for `run`, `backfill` and `report`.

1. `--duckdb-file` on the command line;
2. else dlt's own setting, as dlt's docs teach it: `DESTINATION__DUCKDB__CREDENTIALS`
   (a path), `[destination.duckdb] credentials = "…"`, or `database` under
   `[destination.duckdb.credentials]` (in `.dlt/secrets.toml` or `.dlt/config.toml`, or as
   `DESTINATION__DUCKDB__CREDENTIALS__DATABASE`);
3. else `intercom.duckdb` in the working directory.

(`global_config` under `[destination.duckdb.credentials]` alone names no file: the default
holds.) `status` reads the file from the run history instead (the one the last run wrote).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dlt

from pipelines.errors import ConfigError

DEFAULT_DUCKDB_FILE = "intercom.duckdb"
CREDENTIALS_KEY = "destination.duckdb.credentials"
_SCHEME = "duckdb:///"


def resolve_duckdb_file(given: str | None) -> str:
    """The DuckDB file to use: `given` (the flag), else dlt's setting, else the default."""
    if given:
        return given
    configured = _configured()
    if configured is None:
        return DEFAULT_DUCKDB_FILE
    if configured.startswith(_SCHEME):
        configured = configured[len(_SCHEME) :]
    if not configured or configured == ":memory:":
        raise ConfigError(
            f"{CREDENTIALS_KEY} = {configured or '(empty)'!r}: a sync needs a DuckDB file; "
            "give a path (or pass --duckdb-file)"
        )
    return configured


def _configured() -> str | None:
    """dlt's DuckDB file setting, if any: a path, or `database` in a credentials table."""
    for key in (CREDENTIALS_KEY, f"{CREDENTIALS_KEY}.database"):
        for store in (dlt.secrets, dlt.config):
            value: Any = store.get(key)
            if isinstance(value, Mapping):
                value = value.get("database")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None
