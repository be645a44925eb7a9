"""History mode (`history = true`, `--history`): every version of the records, in
`<table>_history` tables next to the current ones (docs/history.md).

Versioned: `contacts`, `companies`, `conversations`, `tickets`, `conversation_parts`,
`ticket_parts`, each with its nested (link) tables. A version is a record as one load left it,
keyed by (`id`, `_valid_from`), where `_valid_from` is its `updated_at` (`created_at` where a
row has none): when the version became true in Intercom, not when it was loaded. `_valid_to` is
the next version's `_valid_from`, the record's deletion time, or null for the current version.
A nested row of a version (`contacts_history__tags`) carries the record's id (`contact_id`)
and the version's `_valid_from`, and its `_dlt_root_id` is the version's `_dlt_id`
(`<id>@<unix seconds of _valid_from>`).

Why SQL after the load and not dlt's `scd2` (tried with this source): dlt stamps validity with
the load's time, one per load, never the row's `updated_at`; scd2 needs a content-hash
`_dlt_id` that the Arrow fast path does not make (dlt refuses Arrow rows without it); its
nested tables hang off that hash, so a link table would have no version of its own; and dlt
1.31 has no scd2 on the filesystem destination. Here the current tables stay exactly as they
are, with every deletion mode, and the versions are taken from them after each load:

- a row of the current table whose (`id`, `updated_at`, `_dlt_load_id`) no version has is a
  new version: the record's open version is closed at its `updated_at` and the row copied in
  with its nested rows. The same (`id`, `updated_at`) loaded again (a re-read of the search
  lag, a re-run of a window) replaces that version in place: a re-run adds no version;
- a record flagged in its current table (`_deleted_at`, soft mode) or gone from it and listed
  in a side table (`conversations_deleted`, `contacts_merged`, `<entity>_deleted`; hard mode)
  has its open version closed at that time; parts follow their conversation or ticket;
- a record absent from the load is not touched: an incremental run retires nothing it did not
  see change;
- the first step seeds the history tables from the current tables: turning history on for an
  existing warehouse starts from the current versions, without reading the API.

Each table's step is one transaction, run after every load and before each run's extract
(catching up on a step a crash cut short, before the next load can overwrite the version it
would have copied). Cost: an anti-join of each current table against its open versions per
step. Plain SQL that DuckDB (MotherDuck) and PostgreSQL both run; elsewhere the sync refuses
history mode (`HISTORY_DESTINATIONS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dlt

from pipelines.destinations.history_memberships import (
    membership_history_tables,
    record_memberships,
)
from sources.intercom.dlt_compat import has_dataset
from sources.intercom.settings import ENTITY_RESOURCES
from sources.intercom.tombstones import DELETED_AT, PARTS_OF, SIDE_TABLES

log = logging.getLogger("intercom_sync")

VALID_FROM, VALID_TO = "_valid_from", "_valid_to"
ROOT_ID = "_dlt_root_id"  # a nested row's root row: the version it belongs to
HISTORY_SUFFIX = "_history"
# Where the steps below run as written (UPDATE … FROM, greatest, extract(epoch …)).
HISTORY_DESTINATIONS = ("duckdb", "motherduck", "postgres")
# The rows of one step's new versions, a scratch table that lives inside its transaction.
_BATCH = "_intercom_history_batch"
_TIMESTAMP = "TIMESTAMP WITH TIME ZONE"


@dataclass(frozen=True)
class Versioned:
    """A table history mode keeps every version of, and where the deletion time of a record
    gone from it is: (side table, its time column, the column of `root` holding its id)."""

    root: str
    closed_by: tuple[tuple[str, str, str], ...]


def _versioned_tables() -> tuple[Versioned, ...]:
    def side(entity: str, id_column: str) -> tuple[tuple[str, str, str], ...]:
        return tuple((table, when, id_column) for table, (when, _) in SIDE_TABLES[entity].items())

    roots = tuple(Versioned(root, side(root, "id")) for root in ENTITY_RESOURCES)
    parts = tuple(Versioned(table, side(root, key)) for root, (table, key) in PARTS_OF.items())
    return roots + parts


VERSIONED = _versioned_tables()


def history_table(root: str, table: str | None = None) -> str:
    """`contacts` -> `contacts_history`; with a nested `table` of `root`, its history table
    (`contacts__tags` -> `contacts_history__tags`)."""
    return f"{root}{HISTORY_SUFFIX}{(table or root)[len(root) :]}"


def check_history_destination(kind: str | None) -> None:
    """Raise ValueError (one line, the fix in it) where history mode cannot work."""
    if kind in HISTORY_DESTINATIONS:
        return
    why = (
        "files cannot be updated in place, and dlt 1.31 has no scd2 merge there"
        if kind == "filesystem"
        else "its SQL is written for those"
    )
    raise ValueError(
        f"history mode keeps versions on {', '.join(HISTORY_DESTINATIONS)} only, not {kind} "
        f"({why}): drop --history / [sources.intercom] history, or load into one of those"
    )


def record_versions(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Bring every `<table>_history` up to date with the current tables (creating and widening
    the history tables as needed); returns the versions written per history table (new ones
    and ones replaced in place)."""
    written: dict[str, int] = {}
    with pipeline.sql_client() as client:
        if not has_dataset(client):
            return written
        sql = _Sql(client)
        columns = destination_columns(client)
        for versioned in VERSIONED:
            if versioned.root not in columns:
                continue  # not loaded yet (or not selected so far)
            nested = sorted(
                t
                for t in columns
                # dlt's nested tables hang off their root row; a table of its own that is
                # only named like one (`contacts__segments`) has no `_dlt_root_id`
                if t.startswith(f"{versioned.root}__") and ROOT_ID in columns[t]
            )
            tables = [versioned.root, *nested]
            # DDL first, outside the transaction (DuckDB refuses to update a table altered in
            # the same transaction); a crash after it leaves empty, harmless columns.
            for table in tables:
                _ensure_history_table(sql, columns, versioned.root, table)
            with client.begin_transaction():
                count = _write_versions(sql, columns, versioned, tables)
            written[history_table(versioned.root)] = count
        # memberships without a time of their own (contacts__segments): as observed
        written.update(record_memberships(client, columns, sql.run))
    if any(written.values()):
        log.info(
            "history: versions written: %s",
            ", ".join(f"{t} {n}" for t, n in written.items() if n),
        )
    return written


def history_row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows of each `<root>_history` table the destination has ({} without history mode)."""
    counts: dict[str, int] = {}
    with pipeline.sql_client() as client:
        if not has_dataset(client):
            return counts
        existing = destination_columns(client)
        names = [history_table(v.root) for v in VERSIONED] + list(membership_history_tables())
        for name in names:
            if name in existing:
                rows = client.execute_sql(
                    f"SELECT count(*) FROM {client.make_qualified_table_name(name)}"
                )
                counts[name] = int(rows[0][0])
    return counts


def destination_columns(client: Any) -> dict[str, dict[str, str]]:
    """table -> column -> data type (as the destination spells it), for the dataset."""
    rows = client.execute_sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        client.dataset_name,
    )
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows or []:
        tables.setdefault(str(table), {})[str(column)] = str(data_type)
    return tables


class _Sql:
    """Names quoted for the destination, and statements run on it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.table: Callable[[str], str] = client.make_qualified_table_name
        self.column: Callable[[str], str] = client.escape_column_name

    def run(self, statement: str) -> Any:
        return self.client.execute_sql(statement)


def _ensure_history_table(
    sql: _Sql, columns: dict[str, dict[str, str]], root: str, table: str
) -> None:
    """The history table of `table` exists and has every column `table` has."""
    target = history_table(root, table)
    extra = [VALID_FROM] if table != root else [VALID_FROM, VALID_TO]
    if target not in columns:
        validity = ", ".join(f"CAST(NULL AS {_TIMESTAMP}) AS {sql.column(c)}" for c in extra)
        sql.run(
            f"CREATE TABLE {sql.table(target)} AS SELECT *, {validity} FROM {sql.table(table)} WHERE 1 = 0"
        )
        columns[target] = {**columns[table], **dict.fromkeys(extra, _TIMESTAMP)}
        return
    for name, data_type in columns[table].items():
        if name not in columns[target]:  # a column the current table gained since
            sql.run(f"ALTER TABLE {sql.table(target)} ADD COLUMN {sql.column(name)} {data_type}")
            columns[target][name] = data_type


def _write_versions(
    sql: _Sql, columns: Mapping[str, Mapping[str, str]], versioned: Versioned, tables: list[str]
) -> int:
    root = versioned.root
    current, history = sql.table(root), sql.table(history_table(root))
    batch = sql.table(_BATCH)
    own = columns[root]
    c = sql.column
    when = _version_time(own, c)
    if when is None:
        log.warning("history: %s has no updated_at nor created_at; not versioned", root)
        return 0
    deleted = f"cur.{c(DELETED_AT)}" if DELETED_AT in own else "NULL"
    version_id = (
        f"cur.{c('id')} || '@' || CAST(CAST(extract(epoch FROM {when}) AS BIGINT) AS VARCHAR)"
    )
    # New versions: rows no version holds as loaded (same id, time and load), not older than
    # the record's newest version, live (a flagged row closes its version below: its links
    # are gone from the current tables) unless the record has no version yet (seeding).
    sql.run(f"DROP TABLE IF EXISTS {batch}")
    sql.run(
        f"CREATE TABLE {batch} AS SELECT cur.{c('id')} AS id, cur.{c('_dlt_id')} AS row_id, "
        f"{version_id} AS version_id, {when} AS valid_from FROM {current} AS cur "
        f"WHERE {when} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {history} AS h WHERE h.{c('id')} = cur.{c('id')} "
        f"AND h.{c(VALID_FROM)} = {when} AND h.{c('_dlt_load_id')} = cur.{c('_dlt_load_id')}) "
        f"AND NOT EXISTS (SELECT 1 FROM {history} AS h WHERE h.{c('id')} = cur.{c('id')} "
        f"AND h.{c(VALID_FROM)} > {when}) "
        f"AND ({deleted} IS NULL OR NOT EXISTS "
        f"(SELECT 1 FROM {history} AS h WHERE h.{c('id')} = cur.{c('id')}))"
    )
    count = int(sql.run(f"SELECT count(*) FROM {batch}")[0][0])
    if count:
        # the open version of a record with a newer one ends where that one starts
        sql.run(
            f"UPDATE {history} AS h SET {c(VALID_TO)} = b.valid_from FROM {batch} AS b "
            f"WHERE h.{c('id')} = b.id AND h.{c(VALID_TO)} IS NULL "
            f"AND h.{c(VALID_FROM)} < b.valid_from"
        )
        # a version loaded again is replaced in place, nested rows first
        for table in tables[1:]:
            sql.run(
                f"DELETE FROM {sql.table(history_table(root, table))} "
                f"WHERE {c(ROOT_ID)} IN (SELECT version_id FROM {batch})"
            )
        sql.run(f"DELETE FROM {history} WHERE {c('_dlt_id')} IN (SELECT version_id FROM {batch})")
        _copy(sql, root, own, history_table(root), batch, nested=False)
        for table in tables[1:]:
            _copy(sql, table, columns[table], history_table(root, table), batch, nested=True)
    sql.run(f"DROP TABLE {batch}")
    _close_removed(sql, columns, versioned, deleted_column=DELETED_AT in own)
    return count


def _version_time(columns: Mapping[str, str], quote: Callable[[str], str]) -> str | None:
    present = [name for name in ("updated_at", "created_at") if name in columns]
    if not present:
        return None
    return f"coalesce({', '.join(f'cur.{quote(name)}' for name in present)})"


def _copy(
    sql: _Sql, table: str, columns: Mapping[str, str], target: str, batch: str, *, nested: bool
) -> None:
    """Copy the rows of the batch's versions (root rows, or the nested rows under them) from
    `table` into `target`, with the version's dlt keys and validity."""
    c = sql.column
    made = {"_dlt_id": "b.version_id", VALID_FROM: "b.valid_from"}
    join = f"cur.{c('_dlt_id')} = b.row_id"
    if nested:
        # keys made unique per version; a direct child's parent is the version row
        made["_dlt_id"] = f"b.version_id || '/' || cur.{c('_dlt_id')}"
        made["_dlt_root_id"] = "b.version_id"
        if "_dlt_parent_id" in columns:
            made["_dlt_parent_id"] = (
                f"CASE WHEN cur.{c('_dlt_parent_id')} = b.row_id THEN b.version_id "
                f"ELSE b.version_id || '/' || cur.{c('_dlt_parent_id')} END"
            )
        join = f"cur.{c('_dlt_root_id')} = b.row_id"
    else:
        made[VALID_TO] = "NULL"
    names = [*columns, *(name for name in made if name not in columns)]
    values = [made.get(name, f"cur.{c(name)}") for name in names]
    sql.run(
        f"INSERT INTO {sql.table(target)} ({', '.join(c(n) for n in names)}) "
        f"SELECT {', '.join(values)} FROM {sql.table(table)} AS cur JOIN {batch} AS b ON {join}"
    )


def _close_removed(
    sql: _Sql,
    columns: Mapping[str, Mapping[str, str]],
    versioned: Versioned,
    *,
    deleted_column: bool,
) -> None:
    """Close the open version of each record that left: flagged in its current table (soft
    mode) at `_deleted_at`, or gone from it (hard mode) at its side table's time."""
    c = sql.column
    root = versioned.root
    current, history = sql.table(root), sql.table(history_table(root))
    if deleted_column:
        sql.run(
            f"UPDATE {history} AS h SET {c(VALID_TO)} = greatest(cur.{c(DELETED_AT)}, "
            f"h.{c(VALID_FROM)}) FROM {current} AS cur WHERE h.{c('id')} = cur.{c('id')} "
            f"AND h.{c(VALID_TO)} IS NULL AND cur.{c(DELETED_AT)} IS NOT NULL"
        )
    for side, when, id_column in versioned.closed_by:
        if side not in columns or id_column not in columns[root]:
            continue
        sql.run(
            f"UPDATE {history} AS h SET {c(VALID_TO)} = greatest(s.{c(when)}, h.{c(VALID_FROM)}) "
            f"FROM {sql.table(side)} AS s WHERE h.{c(id_column)} = s.{c('id')} "
            f"AND h.{c(VALID_TO)} IS NULL AND s.{c(when)} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {current} AS cur WHERE cur.{c('id')} = h.{c('id')})"
        )
