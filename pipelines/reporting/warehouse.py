"""Read back what a pipeline loaded, on any destination: table → resource, rows per table.

SQL destinations (DuckDB, Postgres, …) and parquet on the filesystem destination are counted
through dlt's SQL client (on the filesystem dlt puts DuckDB views over the files). Delta tables
are counted with `deltalake` directly: DuckDB's delta extension would have to be downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from pipelines.errors import ConfigError
from sources.intercom.dlt_compat import root_table_of
from sources.intercom.settings import destination_kind


def require_duckdb_file(path: str | Path, hint: str = "") -> None:
    """Refuse to read a DuckDB file that is not there: opening it would create an empty
    database at a mistyped path (and dbt would build on it)."""
    if not Path(path).is_file():
        raise ConfigError(f"no DuckDB file at {path}{hint}")


def data_tables(pipeline: dlt.Pipeline) -> list[str]:
    """Tables that received data, in schema order (no `_dlt_*` tables)."""
    return pipeline.default_schema.data_table_names(seen_data_only=True)


def resource_of_table(pipeline: dlt.Pipeline, table: str) -> str | None:
    """The resource that produced `table` (nested tables belong to their root's resource)."""
    tables = pipeline.default_schema.tables
    root = root_table_of(tables, table)
    return root.get("resource") or root["name"]


def _table_format(pipeline: dlt.Pipeline, table: str) -> str | None:
    return root_table_of(pipeline.default_schema.tables, table).get("table_format")


def row_counts(pipeline: dlt.Pipeline, tables: list[str] | None = None) -> dict[str, int]:
    """Rows per table as the destination holds them now. Raises if it cannot be read."""
    tables = data_tables(pipeline) if tables is None else tables
    counts: dict[str, int] = {}
    delta = [
        t
        for t in tables
        if destination_kind(pipeline) == "filesystem" and _table_format(pipeline, t) == "delta"
    ]
    if delta:
        from dlt.common.libs.deltalake import get_delta_tables

        for name, table in get_delta_tables(pipeline, *delta).items():
            counts[name] = table.to_pyarrow_dataset().count_rows()
    sql_tables = [t for t in tables if t not in counts]
    if sql_tables:
        counts.update(_sql_row_counts(pipeline, sql_tables))
    return {t: counts[t] for t in tables if t in counts}


def _sql_row_counts(pipeline: dlt.Pipeline, tables: list[str]) -> dict[str, int]:
    with pipeline.sql_client() as client:
        query = " UNION ALL ".join(
            f"SELECT '{t}' AS table_name, COUNT(1) AS n FROM {client.make_qualified_table_name(t)}"
            for t in tables
        )
        rows: Any = client.execute_sql(query)
    return {str(name): int(n) for name, n in rows}
