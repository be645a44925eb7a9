"""Deleted and merged-away records, shown in the root tables analysts query.

Every root table whose records can disappear (`contacts`, `companies`, `conversations`,
`tickets`) has `_deleted_at` (timestamp, null while the record is live); `contacts` also has
`_merged_into_id`. They are set from the 2.16 deletion feed (`deletions.py`), the contacts'
merge history (2.16) and `--reconcile` (`reconcile.py`, also merges on 2.9), in the same load
as the side tombstone tables, which stay as a change log.

`deletes` (source config, `[sources.intercom] deletes`):
- "soft" (default): the root row stays, with its last loaded values and `_deleted_at` set
  (the row is read back from the destination and loaded again, flagged); its parts
  (`conversation_parts`, `ticket_parts`, `contact_notes`, `company_notes`) are flagged the
  same way; its link rows (nested
  tables such as `conversations__contacts`, and the parts' nested tables) are **removed**;
- "hard": the root row and its parts are removed with all their nested rows (dlt's
  `hard_delete` hint on `_deleted_at`). dlt 1.31 cannot do that on delta tables that have
  nested tables: there `intercom-sync` runs the source in soft mode and deletes the flagged
  rows after the load (`pipelines/destinations/delta_hard_deletes.py`).
A record that comes back (an un-archived contact) is listed again with a new `updated_at` and
loaded as a live row: `_deleted_at` is null again (the row is replaced whole).

One row per primary key per load: dlt's merge misbehaves on duplicate keys in one load, so a
record loaded in this run is never flagged in the same run (`RunClaims`); its flag waits for
the next run (the caller keeps it in its state) or the next reconcile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema

from sources.intercom.records import utc
from sources.intercom.warehouse import rows_with, table_rows

logger = logging.getLogger(__name__)

DELETED_AT = "_deleted_at"
MERGED_INTO_ID = "_merged_into_id"
SOFT, HARD = "soft", "hard"
DELETE_MODES = (SOFT, HARD)
# Parts tables of a root (table, column holding the root's id). Notes follow their contact or
# company as parts follow their conversation or ticket (notes.py).
PARTS_OF = {
    "conversations": ("conversation_parts", "conversation_id"),
    "tickets": ("ticket_parts", "ticket_id"),
    "contacts": ("contact_notes", "contact_id"),
    "companies": ("company_notes", "company_id"),
}
# Other tables of a root's records, flagged or removed with them like its parts (the opt-in
# per-conversation reads, conversation_extras.py): table, column holding the root's id.
CHILDREN_OF = {
    "conversations": (
        ("conversation_handling_events", "conversation_id"),
        ("conversation_side_conversations", "conversation_id"),
    ),
}


def check_mode(deletes: str) -> str:
    if deletes not in DELETE_MODES:
        raise ValueError(f"deletes = {deletes!r}: use one of {', '.join(DELETE_MODES)}")
    return deletes


def root_columns(root: str, deletes: str) -> dict[str, TColumnSchema]:
    """The tombstone columns of root table `root`: with `hard`, `_deleted_at` is dlt's
    `hard_delete` column (a row loaded with it set removes the record and its nested rows)."""
    deleted_at: TColumnSchema = {"data_type": "timestamp", "timezone": True, "nullable": True}
    if deletes == HARD:
        deleted_at["hard_delete"] = True
    columns: dict[str, TColumnSchema] = {DELETED_AT: deleted_at}
    if root == "contacts":
        columns[MERGED_INTO_ID] = {"data_type": "text", "nullable": True}
    return columns


def parts_columns(deletes: str) -> dict[str, TColumnSchema]:
    """Parts of a record that left are flagged like it (soft) or removed with it (hard)."""
    return {DELETED_AT: root_columns("parts", deletes)[DELETED_AT]}


@dataclass(frozen=True)
class Tombstone:
    """A record that is gone: deleted at `deleted_at` (Unix seconds), merged into
    `merged_into_id` when it was a merge. JSON-serialisable (kept in resource state)."""

    id: str
    deleted_at: int
    merged_into_id: str | None = None


class RunClaims:
    """Which root ids have a row in this run's load, so that no id gets two (a loaded version
    and a flag). Shared by the resources of one source run; thread-safe (resources run in
    dlt's thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, set[str]] = {}

    def claim(self, root: str, record_id: Any) -> bool:
        """True if `record_id` had no row in `root` yet this run (and now has one)."""
        key = str(record_id)
        with self._lock:
            ids = self._ids.setdefault(root, set())
            if key in ids:
                return False
            ids.add(key)
            return True

    def has(self, root: str, record_id: Any) -> bool:
        with self._lock:
            return str(record_id) in self._ids.get(root, ())


def flag_items(
    warehouse: Any | None,
    root: str,
    tombstones: Iterable[Tombstone],
    deletes: str,
) -> Iterator[Any]:
    """Items that flag (soft) or remove (hard) the warehouse rows of `tombstones` in `root`,
    and their parts. Only records present in `warehouse` (`warehouse.open_warehouse`) and not
    flagged yet are touched; the caller has claimed their ids (`RunClaims`)."""
    wanted = {t.id: t for t in tombstones}
    if not wanted or warehouse is None:
        return
    rows = _latest(rows_with(warehouse, root, "id", sorted(wanted)))
    flagged = []
    for row in rows:
        if row.get(DELETED_AT) is not None:
            continue  # flagged by an earlier run
        tombstone = wanted[str(row["id"])]
        deleted_at = utc(tombstone.deleted_at)
        if deletes == HARD:
            flagged.append({"id": str(row["id"]), DELETED_AT: deleted_at})
            continue
        row = {k: v for k, v in row.items() if not k.startswith("_dlt_")}
        row[DELETED_AT] = deleted_at
        if root == "contacts":
            row[MERGED_INTO_ID] = tombstone.merged_into_id
        flagged.append(row)
    if not flagged:
        return
    logger.info("%s: %d row(s) %s", root, len(flagged), "flagged" if deletes == SOFT else "removed")
    yield dlt.mark.with_table_name(flagged, root)
    when = {str(row["id"]): row[DELETED_AT] for row in flagged}
    children = ((PARTS_OF[root],) if root in PARTS_OF else ()) + CHILDREN_OF.get(root, ())
    for table, parent_key in children:
        columns = None if deletes == SOFT else ("id", parent_key, "_dlt_load_id")
        parts = _latest(rows_with(warehouse, table, parent_key, sorted(when), columns=columns))
        gone = []
        for part in parts:
            if deletes == SOFT and part.get(DELETED_AT) is not None:
                continue
            part = {k: v for k, v in part.items() if not k.startswith("_dlt_")}
            part[DELETED_AT] = when[str(part[parent_key])]
            gone.append(part)
        if gone:
            yield dlt.mark.with_table_name(gone, table)


def clear_items(warehouse: Any | None, root: str, ids: Iterable[str]) -> Iterator[Any]:
    """Items that un-flag the rows of records that came back (soft mode; in hard mode the rows
    are gone and come back with the record's next version). The caller has claimed the ids."""
    ids = sorted(ids)
    if not ids or warehouse is None:
        return
    cleared = []
    for row in _latest(rows_with(warehouse, root, "id", ids)):
        if row.get(DELETED_AT) is None:
            continue
        row = {k: v for k, v in row.items() if not k.startswith("_dlt_")}
        row[DELETED_AT] = None
        if root == "contacts":
            row[MERGED_INTO_ID] = None
        cleared.append(row)
    if cleared:
        logger.info("%s: %d row(s) live again", root, len(cleared))
        yield dlt.mark.with_table_name(cleared, root)


def pending(state: Mapping[str, Any], key: str) -> list[Tombstone]:
    """Tombstones a previous run could not apply (their record was loaded in that run)."""
    return [Tombstone(**item) for item in state.get(key, [])]


def keep_pending(state: dict, key: str, tombstones: list[Tombstone]) -> None:
    if tombstones:
        state[key] = [t.__dict__ for t in tombstones]
    else:
        state.pop(key, None)


def _latest(rows: list[dict]) -> list[dict]:
    """The newest version of each id: on an append-only destination (plain parquet) every
    version of a record is a row; elsewhere there is one already."""
    newest: dict[str, dict] = {}
    for row in rows:
        key = str(row["id"])
        if key not in newest or str(row.get("_dlt_load_id", "")) > str(
            newest[key].get("_dlt_load_id", "")
        ):
            newest[key] = row
    return list(newest.values())


# Side tombstone table -> (column with the time, column with the survivor), per root.
SIDE_TABLES = {
    "contacts": {
        "contacts_merged": ("merged_at", "merged_into_id"),
        "contacts_deleted": ("detected_at", None),
    },
    "companies": {"companies_deleted": ("detected_at", None)},
    "conversations": {"conversations_deleted": ("deleted_at", None)},
    "tickets": {"tickets_deleted": ("detected_at", None)},
}
CAUGHT_UP_KEY = "tombstones_in_root"  # resource state: side tables applied to the root once


def catch_up(
    state: dict, warehouse: Any | None, root: str, deletes: str, claims: RunClaims
) -> Iterator[Any]:
    """Once per pipeline: flag (or remove) the rows tombstoned in the side tables before the
    root tables had `_deleted_at` (a warehouse loaded by an older version)."""
    if state.get(CAUGHT_UP_KEY) or warehouse is None:
        return
    found: dict[str, Tombstone] = {}
    for table, (time_column, into_column) in SIDE_TABLES[root].items():
        for row in table_rows(warehouse, table):
            when = row.get(time_column)
            seconds = int(when.timestamp()) if hasattr(when, "timestamp") else when
            into = row.get(into_column) if into_column else None
            found.setdefault(
                str(row["id"]),
                Tombstone(str(row["id"]), int(seconds or 0), str(into) if into else None),
            )
    claimed = [t for t in found.values() if claims.claim(root, t.id)]
    yield from flag_items(warehouse, root, claimed, deletes)
    state[CAUGHT_UP_KEY] = True
