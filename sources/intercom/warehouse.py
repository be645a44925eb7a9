"""Reads of what earlier runs loaded into the destination (reconcile, tombstone flags).

The dataset is opened with the schema stored in the destination, not the pipeline's live
schema: these reads run in dlt's extract thread pool while the extract changes the live
schema in another thread (reading it there races: "dictionary changed size"). Delta tables
are read with `deltalake` (DuckDB's delta extension would have to be downloaded). Reads are
serialised: resources read concurrently, and DuckDB refuses to attach one file twice at once
("Unique file handle conflict").
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import dlt

from sources.intercom.dlt_compat import open_delta_table

logger = logging.getLogger(__name__)

# Read at most this many keys per query (keeps `IN (...)` lists small).
READ_CHUNK = 500
_MISSING = ("does not exist", "not found", "no such table", "catalog error")
_ONE_READ_AT_A_TIME = threading.Lock()


def open_warehouse(pipeline: Any | None) -> Any | None:
    """The pipeline's destination dataset as loaded so far (None without one)."""
    if pipeline is None or pipeline.destination is None:
        return None
    return dlt.dataset(pipeline.destination, pipeline.dataset_name)


def current_warehouse() -> Any | None:
    """`open_warehouse` of the running pipeline (None outside one)."""
    try:
        pipeline = dlt.current.pipeline()
    except Exception:  # no active pipeline, e.g. a bare `list(resource)`
        return None
    return open_warehouse(pipeline)


def table_ids(dataset: Any | None, table: str, key: str = "id") -> set[str]:
    """Every `key` of a destination table ({} before its first load)."""
    rows = _read(dataset, table, key, None, (key,))
    return {str(row[key]) for row in rows}


def table_rows(dataset: Any | None, table: str) -> list[dict]:
    """Every row of a (small) destination table ([] before it exists)."""
    return _read(dataset, table, "id", None, None)


def rows_with(
    dataset: Any | None,
    table: str,
    key: str,
    values: list[str],
    columns: tuple[str, ...] | None = None,
) -> list[dict]:
    """Rows of a destination table whose `key` is in `values` ([] before it exists)."""
    if not values:
        return []
    return _read(dataset, table, key, values, columns)


def _read(
    dataset: Any | None,
    table: str,
    key: str,
    values: list[str] | None,
    columns: tuple[str, ...] | None,
) -> list[dict]:
    if dataset is None:
        return []
    with _ONE_READ_AT_A_TIME:
        return _read_locked(dataset, table, key, values, columns)


def _read_delta(
    delta: Any, key: str, values: list[str] | None, columns: tuple[str, ...] | None
) -> list[dict]:
    where = None if values is None else sql_in(key, values)
    return delta_query(delta, columns, where).to_pylist()


def delta_query(delta: Any, columns: Iterable[str] | None, where: str | None) -> Any:
    """`SELECT columns FROM delta WHERE where` as a `pyarrow.Table`, run by `deltalake`'s
    own engine (DataFusion), which skips files by their stats. Not pyarrow's dataset filter:
    on a table delta-rs has merged into, its file stats come as `string_view`, and pyarrow
    fails comparing them with a `string` column ("no kernel matching input types")."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    selected = ", ".join(_quoted(c) for c in columns) if columns else "*"
    sql = f"SELECT {selected} FROM delta" + (f" WHERE {where}" if where else "")
    return pa.table(QueryBuilder().register("delta", delta).execute(sql))


def sql_in(column: str, values: Iterable[Any], quote: Callable[[str], str] | None = None) -> str:
    """`"column" IN ('a', 'b')`: values as SQL text literals (ids are text); the column in
    double quotes, or quoted by `quote` (a destination's own, e.g. a dlt SQL client's
    `escape_column_name`)."""
    quoted = ", ".join("'" + str(value).replace("'", "''") + "'" for value in values)
    return f"{(quote or _quoted)(column)} IN ({quoted})"


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _read_sql(
    client: Any,
    stored_columns: dict[str, Any],
    table: str,
    key: str,
    chunks: list[list[str] | None],
    columns: tuple[str, ...] | None,
) -> list[dict]:
    """The rows, by plain SQL on one connection. Not `dataset[table]`: a dlt `Relation` builds
    a SQLGlot schema of the whole dataset for every query, which cost a tiny sync more CPU than
    its reads. The stored schema types the Arrow conversion, as a `Relation` would (drivers
    without a native Arrow reader convert row tuples by these types)."""
    name = client.make_qualified_table_name(table)
    selected = ", ".join(client.escape_column_name(c) for c in columns) if columns else "*"
    found: list[dict] = []
    # a client already open (a caller's) stays open; otherwise it is opened for these reads
    with contextlib.nullcontext() if client.native_connection else client:
        for chunk in chunks:
            where = (
                "" if chunk is None else " WHERE " + sql_in(key, chunk, client.escape_column_name)
            )
            with client.execute_query(f"SELECT {selected} FROM {name}{where}") as cursor:
                cursor.columns_schema = {
                    c: stored_columns.get(c, {"name": c, "nullable": True})
                    for c in cursor.columns_schema
                }
                rows = cursor.arrow()
                found.extend(rows.to_pylist() if rows is not None else [])
    return found


def _read_locked(
    dataset: Any,
    table: str,
    key: str,
    values: list[str] | None,
    columns: tuple[str, ...] | None,
) -> list[dict]:
    try:
        stored = dataset.schema.tables
        if table not in stored or key not in stored[table].get("columns", {}):
            return []
        chunks = (
            [None]
            if values is None
            else [values[i : i + READ_CHUNK] for i in range(0, len(values), READ_CHUNK)]
        )
        # a delta table is read with `deltalake` directly: DuckDB's delta extension would
        # have to be downloaded
        delta = open_delta_table(dataset, table)
        if delta is not None:
            return [row for chunk in chunks for row in _read_delta(delta, key, chunk, columns)]
        return _read_sql(dataset.sql_client, stored[table]["columns"], table, key, chunks, columns)
    except Exception as exc:  # declared in the stored schema, never created
        if not any(m in str(exc).lower() for m in _MISSING):
            raise
        logger.info("%s not in the destination yet (%s)", table, exc)
        return []
