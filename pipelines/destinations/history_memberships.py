"""History mode for memberships the API gives no time for: `contacts__segments`.

A segment is a rule ("seen in the last 30 days"): contacts join and leave it without any
`updated_at` moving, and the sync reads each segment's members whole every run
(sources/intercom/segment_members.py). So a membership's history can only be what the runs
observed: `contacts_history__segments(contact_id, segment_id, _valid_from, _valid_to)`, where
`_valid_from` is the time of the first load that held the pair and `_valid_to` the time of the
first load that did not (null while it holds). Unlike the other nested history tables, whose
rows share their record version's validity, each row here carries its own.

One step per load, in one transaction, idempotent (a step with nothing new changes nothing):
open a row for each current pair without an open one; close the open rows whose pair is gone.
The step's time is the newest load's (`_dlt_loads`), the time the sync observed the members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# table -> (its history table, the columns of one membership)
MEMBERSHIPS: dict[str, tuple[str, tuple[str, str]]] = {
    "contacts__segments": ("contacts_history__segments", ("contact_id", "segment_id")),
}
VALID_FROM, VALID_TO = "_valid_from", "_valid_to"
_TIMESTAMP = "TIMESTAMP WITH TIME ZONE"
_LOADS = "_dlt_loads"


def record_memberships(
    client: Any, columns: dict[str, dict[str, str]], run: Callable[[str], Any]
) -> dict[str, int]:
    """Bring each membership history table up to date with its current table; returns the
    rows opened or closed per history table."""
    written: dict[str, int] = {}
    if _LOADS not in columns:
        return written
    table_name: Callable[[str], str] = client.make_qualified_table_name
    c: Callable[[str], str] = client.escape_column_name
    newest = run(f"SELECT max({c('load_id')}) FROM {table_name(_LOADS)}")[0][0]
    if newest is None:
        return written
    observed = f"to_timestamp({float(newest)!r})"
    for table, (history, (first, second)) in MEMBERSHIPS.items():
        if table not in columns:
            continue  # not loaded yet
        current, target = table_name(table), table_name(history)
        if history not in columns:
            run(
                f"CREATE TABLE {target} AS SELECT {c(first)}, {c(second)}, "
                f"CAST(NULL AS {_TIMESTAMP}) AS {c(VALID_FROM)}, "
                f"CAST(NULL AS {_TIMESTAMP}) AS {c(VALID_TO)} FROM {current} WHERE 1 = 0"
            )
            columns[history] = {}
        same_pair = (
            f"h.{c(first)} = cur.{c(first)} AND h.{c(second)} = cur.{c(second)} "
            f"AND h.{c(VALID_TO)} IS NULL"
        )
        with client.begin_transaction():
            closed = run(
                f"SELECT count(*) FROM {target} AS h WHERE h.{c(VALID_TO)} IS NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {current} AS cur WHERE {same_pair})"
            )[0][0]
            run(
                f"UPDATE {target} AS h SET {c(VALID_TO)} = {observed} "
                f"WHERE h.{c(VALID_TO)} IS NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {current} AS cur WHERE {same_pair})"
            )
            opened = run(
                f"SELECT count(*) FROM {current} AS cur WHERE NOT EXISTS "
                f"(SELECT 1 FROM {target} AS h WHERE {same_pair})"
            )[0][0]
            run(
                f"INSERT INTO {target} ({c(first)}, {c(second)}, {c(VALID_FROM)}, {c(VALID_TO)}) "
                f"SELECT DISTINCT cur.{c(first)}, cur.{c(second)}, {observed}, CAST(NULL AS {_TIMESTAMP}) "
                f"FROM {current} AS cur WHERE NOT EXISTS "
                f"(SELECT 1 FROM {target} AS h WHERE {same_pair})"
            )
        written[history] = int(closed) + int(opened)
    return written


def membership_history_tables() -> tuple[str, ...]:
    return tuple(history for history, _ in MEMBERSHIPS.values())
