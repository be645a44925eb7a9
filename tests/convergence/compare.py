"""Warehouse vs workspace: every table of contract 3 compared with `truth_rows(world, entity)`.

Written once, used by the convergence, fault, crash and reconcile tests and the soak.
`read(table)` returns a table's rows as dicts ([] when the table does not exist), so the same
checks run on an in-process pipeline (`pipeline_reader`) and on a DuckDB file left by the CLI
(`duckdb_reader`).

Semantics (README "Guarantees"):
- roots (`contacts`, `companies`, `conversations`, `tickets`): one row per id; the live rows
  (`_deleted_at` null) equal the truth (id set, `updated_at`, key fields). So every record
  that left the workspace (merged-away contact, deleted conversation, and after `--reconcile`
  deleted contact/company/ticket) is flagged (`deletes="soft"`) or gone (`"hard"`: no flagged
  row at all), and no live record is flagged.
- link tables: the pairs equal the truth's pairs; no link row of a flagged record. A contact's
  consents change without moving its `updated_at`: those of contacts changed so (truth
  `contacts_unstamped_consents`) are not compared until the contact changes again.
- parts: every part the API shows (truth `visible`) is present and live with the truth's
  fields; a part of a live record loaded once is never lost (`kept` — the caller passes the
  ids seen so far); no live part the workspace no longer has (parts of records that left are
  flagged with them, or removed with `"hard"`).
- lookups and content lists (replace): id set and key fields equal, on the versions that
  have their endpoint (`LOOKUPS_SINCE`); so are `call_transcripts` (read with `calls`) when
  the sync switched that opt-in on.
- tombstone tables: every truth tombstone is present with its fields.
- every table (also nested ones): primary keys unique.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from emulator.world.truth import truth_rows
from sources.intercom.conversation_extras import event_keys
from sources.intercom.dlt_compat import cursor_column_names
from sources.intercom.parts import UNASSIGNED_AS_ZERO
from sources.intercom.schema import is_id_column
from sources.intercom.settings import CONTENT_RESOURCES, MEMBERSHIP_RESOURCES

Reader = Callable[[str], list[dict]]

# Truth key -> warehouse column, where they differ (nested objects are flattened with "__").
COLUMNS: dict[str, dict[str, str]] = {
    "conversations": {"count_conversation_parts": "statistics__count_conversation_parts"},
    "conversation_parts": {"author_type": "author__type"},
    "articles": {"views": "statistics__views"},
    "contact_notes": {"author_id": "author__id"},
    "company_notes": {"author_id": "author__id"},
    "conversation_handling_events": {"teammate_id": "teammate__id"},
    "conversation_side_conversations__conversation_parts": {"author_id": "author__id"},
    "admin_activity_logs": {"performed_by_id": "performed_by__id"},
    "tickets": {
        "ticket_type_id": "ticket_type__id",
        "ticket_state": "ticket_state__category",
        "ticket_state_category": "ticket_state",  # before 2.12 (`as_served`)
        "ticket_state_id": "ticket_state__id",
    },
}
ROOTS = ("contacts", "companies", "conversations", "tickets")
LOOKUPS = (
    "admins",
    "teams",
    "tags",
    "segments",
    *CONTENT_RESOURCES,  # content and settings lists (issue 21)
    "office_hours_schedules__office_hours_exceptions",
    "admin_activity_logs",  # merged, not replaced: every entry is kept, so the same check
)
# Lookups whose endpoint older versions lack: table -> first version that has it.
LOOKUPS_SINCE = {
    "ticket_states": (2, 12),
    "away_status_reasons": (2, 10),
    "brands": (2, 10),
    "office_hours_schedules": (2, 16),
    "office_hours_schedules__office_hours_exceptions": (2, 16),
    "content_snippets": (2, 16),
    "internal_articles": (2, 10),
    "macros": (2, 16),
    "activity_log_event_types": (2, 16),
    "calls": (2, 10),
    "call_transcripts": (2, 10),
}
# Lookups keyed by another column than `id`.
LOOKUP_KEYS = {"activity_log_event_types": "event_type", "call_transcripts": "call_id"}
# Opt-in tables read with a lookup, compared like one when the sync switched them on.
OPT_IN_LOOKUPS = ("call_transcripts",)
# Lookups whose endpoint newer versions dropped: table -> first version without it.
LOOKUPS_UNTIL = {"help_center_sections": (2, 10)}
# link table -> (parent root, parent key, child key)
LINKS: dict[str, tuple[str, str, str]] = {
    "contacts__tags": ("contacts", "contact_id", "tag_id"),
    "contacts__companies": ("contacts", "contact_id", "company_id"),
    "contacts__segments": ("contacts", "contact_id", "segment_id"),  # read per segment
    "contacts__opted_in_subscription_types": ("contacts", "contact_id", "subscription_type_id"),
    "contacts__opted_out_subscription_types": ("contacts", "contact_id", "subscription_type_id"),
    "companies__tags": ("companies", "company_id", "tag_id"),
    "companies__segments": ("companies", "company_id", "segment_id"),
    "conversations__contacts": ("conversations", "conversation_id", "contact_id"),
    "conversations__tags": ("conversations", "conversation_id", "tag_id"),
    "conversations__teammates": ("conversations", "conversation_id", "admin_id"),
    "conversations__topics": ("conversations", "conversation_id", "topic_id"),
    "conversations__linked_objects": ("conversations", "conversation_id", "linked_object_id"),
    "tickets__contacts": ("tickets", "ticket_id", "contact_id"),
    "tickets__linked_objects": ("tickets", "ticket_id", "linked_object_id"),
}
# Link tables whose changes do not move the parent's `updated_at`: link table -> truth feed of
# the parents changed since (their pairs may be the older ones until the parent changes again).
UNSTAMPED = {
    "contacts__opted_in_subscription_types": "contacts_unstamped_consents",
    "contacts__opted_out_subscription_types": "contacts_unstamped_consents",
}
# Link tables of fields older versions do not send (issue 17): link table -> first version.
LINKS_SINCE = {
    "conversations__topics": (2, 10),
    "conversations__linked_objects": (2, 10),
    "tickets__linked_objects": (2, 10),
}
PARTS: dict[str, tuple[str, str]] = {  # parts table -> (parent root, parent key)
    "conversation_parts": ("conversations", "conversation_id"),
    "ticket_parts": ("tickets", "ticket_id"),
    # notes follow their parent like parts (issue 21)
    "contact_notes": ("contacts", "contact_id"),
    "company_notes": ("companies", "company_id"),
}
# Parts tables older versions cannot read: table -> first version with the endpoint.
PARTS_SINCE = {"company_notes": (2, 10)}
# Opt-in per-conversation tables (switched on by the harness; 2.16+): table -> (parent root,
# parent key). Their live rows equal the truth; those of records that left are flagged/gone.
EXTRAS: dict[str, tuple[str, str]] = {
    "conversation_handling_events": ("conversations", "conversation_id"),
    "conversation_side_conversations": ("conversations", "conversation_id"),
    "conversation_side_conversations__conversation_parts": ("conversations", "conversation_id"),
}
EXTRAS_SINCE = (2, 16)
# Side tombstone tables (a change log; the root rows carry the flags).
TOMBSTONES: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts_merged", "contacts_deleted"),
    "companies": ("companies_deleted",),
    "conversations": ("conversations_deleted",),
    "tickets": ("tickets_deleted",),
}
TRUTH_TOMBSTONES = ("conversations_deleted", "contacts_merged")
# tombstones.DELETED_AT / MERGED_INTO_ID, spelled out: the contract under test
DELETED_AT = "_deleted_at"
MERGED_INTO_ID = "_merged_into_id"
# Child tables are keyed by dlt's row id, not an API id.
NESTED_KEY = "_dlt_id"


def as_id(column: str, value: Any) -> str | None:
    """An id as the warehouse holds it: text, and null for an unassigned (0) assignee."""
    if value is None or (column in UNASSIGNED_AS_ZERO and value in (0, "0")):
        return None
    return str(value)


def comparable(value: Any) -> Any:
    """Loaded values as the truth spells them: timestamps as Unix seconds, ids as strings."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


@dataclass
class Report:
    """Problems found ([] = converged) and what was compared (for the test output)."""

    problems: list[str] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)
    part_ids: dict[str, set[str]] = field(default_factory=dict)  # loaded parts, per table

    def add(self, message: str) -> None:
        if len(self.problems) < 200:  # enough to diagnose; a broken run can differ in 1000s
            self.problems.append(message)

    def __bool__(self) -> bool:
        return not self.problems


def flagged_ids(rows: Iterable[dict]) -> set[str]:
    """Ids of root rows flagged deleted or merged away."""
    return {str(row["id"]) for row in rows if row.get(DELETED_AT) is not None}


def compare_rows(
    report: Report,
    table: str,
    loaded: Iterable[dict],
    expected: Iterable[dict],
    *,
    key: str = "id",
    exact_ids: bool = True,
) -> None:
    """Match rows on `key` and compare every truth field (mapped via COLUMNS). A truth field
    whose column is missing in the warehouse is a mismatch unless the truth value is null."""
    columns = COLUMNS.get(table, {})
    got = {str(row[key]): row for row in loaded}
    want = {str(row[key]): row for row in expected}
    if exact_ids:
        for missing in sorted(want.keys() - got.keys()):
            report.add(f"{table}: missing {key}={missing}")
        for extra in sorted(got.keys() - want.keys()):
            report.add(f"{table}: unexpected {key}={extra}")
    for id_ in sorted(want.keys() & got.keys()):
        for truth_key, truth_value in want[id_].items():
            if truth_key in (key, "visible"):
                continue
            column = columns.get(truth_key, truth_key)
            loaded_value = comparable(got[id_].get(column))
            truth_value = comparable(truth_value)
            if is_id_column(column):  # ids load as text; 2.16's unassigned 0 as null
                loaded_value, truth_value = as_id(column, loaded_value), as_id(column, truth_value)
            if loaded_value != truth_value:
                report.add(f"{table} {id_}.{column}: loaded {loaded_value!r} != {truth_value!r}")
    report.compared[table] = len(want)


def check_unique_keys(report: Report, read: Reader, tables: Iterable[str]) -> None:
    for table in tables:
        rows = read(table)
        if not rows:
            continue
        key = "id" if "id" in rows[0] and table not in LINKS else NESTED_KEY
        key = LOOKUP_KEYS.get(table, key)
        values = [row[key] for row in rows]
        if len(values) != len(set(values)):
            report.add(f"{table}: {len(values) - len(set(values))} duplicate {key}(s)")


def _version(api_version: str) -> tuple[int, int]:
    major, minor = api_version.split(".")
    return int(major), int(minor)


def as_served(table: str, rows: Iterable[dict], api_version: str) -> list[dict]:
    """Truth rows (2.16 terms) as `api_version` reports them (emulator/versions.py): before
    2.16 an unassigned conversation is null, not 0; before 2.12 a ticket's `ticket_state` is
    the category string and its state id is not sent; before 2.10 nested help-center
    collections are sections (no `parent_id`)."""
    number = _version(api_version)
    out = []
    for row in rows:
        row = dict(row)
        if table == "conversations" and number < (2, 16):
            for key in ("admin_assignee_id", "team_assignee_id"):
                row[key] = row[key] or None
        if table == "tickets" and number < (2, 12):
            row.pop("ticket_state_id", None)
            row["ticket_state_category"] = row.pop("ticket_state")
        nested = table == "help_center_collections" and row.get("parent_id") is not None
        if nested and number < (2, 10):
            continue  # a nested collection: 2.9 lists it as a section
        out.append(row)
    return out


def compare_warehouse(
    read: Reader,
    world: Any,
    *,
    kept_parts: dict[str, set[str]] | None = None,
    entities: Iterable[str] = ROOTS,
    lookups: bool = True,
    api_version: str = "2.16",
    deletes: str = "soft",
    optional: Iterable[str] = (),
) -> Report:
    """Compare the warehouse with the world's truth (see the module docstring), as
    `api_version` serves it: tickets from 2.10; before 2.16 there is no deletion feed nor
    merge history, so a deleted conversation or merged-away contact may stay in its root
    table (documented; `--reconcile` marks them) and the tombstone tables are not compared.
    Hold the world's lock (or keep it still) while calling: the truth is read table by table."""
    with one_connection(read) as shared:  # dozens of tables: one connection, not one each
        return _compare_warehouse(
            shared,
            world,
            kept_parts=kept_parts,
            entities=entities,
            lookups=lookups,
            api_version=api_version,
            deletes=deletes,
            optional=tuple(optional),
        )


def _compare_warehouse(
    read: Reader,
    world: Any,
    *,
    kept_parts: dict[str, set[str]] | None,
    entities: Iterable[str],
    lookups: bool,
    api_version: str,
    deletes: str,
    optional: tuple[str, ...],
) -> Report:
    report = Report()
    number = _version(api_version)
    entities = tuple(e for e in entities if e != "tickets" or number >= (2, 10))
    checked_tables: list[str] = []
    for root in entities:
        rows = read(root)
        gone = flagged_ids(rows)
        if deletes == "hard" and gone:
            report.add(f"{root}: {len(gone)} flagged row(s) with deletes=hard: {sorted(gone)[:5]}")
        # Before 2.16 nothing tells the sync of a deleted conversation or a merged-away
        # contact: such a row may stay, unflagged (documented; `--reconcile` flags contacts).
        unflaggable: set[str] = set()
        if number < (2, 16):
            unflaggable = {
                str(row["id"])
                for table in TRUTH_TOMBSTONES
                if table.split("_")[0] == root
                for row in truth_rows(world, table)
            } - gone
        live = [row for row in rows if str(row["id"]) not in gone | unflaggable]
        compare_rows(report, root, live, as_served(root, truth_rows(world, root), api_version))
        if root == "contacts":
            _check_merged_into(report, rows, world)
        present = {str(row["id"]) for row in rows}
        checked_tables.append(root)
        for link, (parent, parent_key, child_key) in LINKS.items():
            if parent != root or number < LINKS_SINCE.get(link, (0, 0)):
                continue
            if link in MEMBERSHIP_RESOURCES and not lookups:  # its own resource, like a lookup
                continue
            unseen = (
                {str(r[parent_key]) for r in truth_rows(world, UNSTAMPED[link])}
                if link in UNSTAMPED
                else set()
            )
            got = {
                (str(r[parent_key]), str(r[child_key]))
                for r in read(link)
                if str(r[parent_key]) not in unflaggable
            }
            for pair in sorted(p for p in got if p[0] in gone):
                report.add(f"{link}: link {pair} of a flagged record")
            got = {pair for pair in got if pair[0] not in unseen}
            want = {
                (str(r[parent_key]), str(r[child_key]))
                for r in truth_rows(world, link)
                if str(r[parent_key]) not in unseen
            }
            for pair in sorted(want - got):
                report.add(f"{link}: missing {pair}")
            for pair in sorted(got - want):
                report.add(f"{link}: unexpected {pair}")
            report.compared[link] = len(want)
            checked_tables.append(link)
        for parts_table, (parent, parent_key) in PARTS.items():
            if parent == root and number >= PARTS_SINCE.get(parts_table, (0, 0)):
                _compare_parts(
                    report,
                    read,
                    world,
                    parts_table,
                    parent_key,
                    kept_parts,
                    live_ids=present - gone,
                    unflaggable=unflaggable,
                    deletes=deletes,
                )
                checked_tables.append(parts_table)
        for table, (parent, _) in EXTRAS.items():
            switched_on = table.split("__")[0] in optional  # an opt-in's table or its nested
            if parent == root and number >= EXTRAS_SINCE and switched_on:
                _compare_extras(report, read, world, table, deletes)
                checked_tables.append(table)
    for tombstone in TRUTH_TOMBSTONES if number >= (2, 16) else ():
        if tombstone.split("_")[0] in entities:
            compare_rows(
                report, tombstone, read(tombstone), truth_rows(world, tombstone), exact_ids=False
            )
            want = {str(r["id"]) for r in truth_rows(world, tombstone)}
            for missing in sorted(want - {str(r["id"]) for r in read(tombstone)}):
                report.add(f"{tombstone}: missing id={missing}")
            checked_tables.append(tombstone)
    if lookups:
        for table in (*LOOKUPS, *(t for t in OPT_IN_LOOKUPS if t in optional)):
            if not LOOKUPS_SINCE.get(table, (0, 0)) <= number < LOOKUPS_UNTIL.get(table, (99, 0)):
                continue
            want = as_served(table, truth_rows(world, table), api_version)
            compare_rows(report, table, read(table), want, key=LOOKUP_KEYS.get(table, "id"))
            checked_tables.append(table)
    extra_tombstones = [t for root in entities for t in TOMBSTONES[root]]
    check_unique_keys(report, read, [*checked_tables, *extra_tombstones])
    return report


def _check_merged_into(report: Report, rows: list[dict], world: Any) -> None:
    """`_merged_into_id`, where set, names the contact the truth says it was merged into."""
    into = {str(r["id"]): str(r["merged_into_id"]) for r in truth_rows(world, "contacts_merged")}
    for row in rows:
        merged_into = row.get(MERGED_INTO_ID)
        if merged_into is not None and into.get(str(row["id"])) != str(merged_into):
            report.add(f"contacts {row['id']}: _merged_into_id {merged_into!r} != truth")


def _compare_extras(report: Report, read: Reader, world: Any, table: str, deletes: str) -> None:
    """The live rows of an opt-in table equal the truth (handling events keyed as the sync
    keys them); with `"hard"` no flagged row is left."""
    rows = read(table)
    flagged = flagged_ids(rows)
    if deletes == "hard" and flagged:
        report.add(f"{table}: {len(flagged)} flagged row(s) with deletes=hard")
    expected = list(truth_rows(world, table))
    if table == "conversation_handling_events":
        by_conversation: dict[str, list[dict]] = {}
        for row in expected:
            by_conversation.setdefault(row["conversation_id"], []).append(row)
        expected = []
        for conversation_id, events in by_conversation.items():
            shaped = [{**e, "teammate": {"id": e["teammate_id"]}} for e in events]
            keys = event_keys(conversation_id, shaped)
            expected += [{**e, "id": k} for k, e in zip(keys, events, strict=True)]
    compare_rows(report, table, [r for r in rows if str(r["id"]) not in flagged], expected)


def _compare_parts(
    report: Report,
    read: Reader,
    world: Any,
    table: str,
    parent_key: str,
    kept: dict[str, set[str]] | None,
    *,
    live_ids: set[str],
    deletes: str,
    unflaggable: set[str] = frozenset(),
) -> None:
    """`unflaggable`: records the API version could not report gone (before 2.16), whose
    parts may stay."""
    rows = [p for p in read(table) if str(p[parent_key]) not in unflaggable]
    flagged = flagged_ids(rows)
    if deletes == "hard" and flagged:
        report.add(f"{table}: {len(flagged)} flagged part(s) with deletes=hard")
    loaded = [p for p in rows if str(p["id"]) not in flagged]  # the live parts
    truth = list(truth_rows(world, table))
    visible = [part for part in truth if part["visible"]]
    loaded_ids = {str(p["id"]) for p in loaded}
    shown_ids = {str(p["id"]) for p in visible}
    compare_rows(
        report,
        table,
        [p for p in loaded if str(p["id"]) in shown_ids],
        visible,
    )
    # Live parts the workspace no longer has (those of records that left are flagged or
    # removed with them), and live parts of a record that is not live in the warehouse.
    known = {str(p["id"]) for p in truth}
    for part in loaded:
        if str(part["id"]) not in known or str(part[parent_key]) not in live_ids:
            report.add(f"{table}: unexpected id={part['id']} of {parent_key}={part[parent_key]}")
    # A part of a live record, loaded once, is never lost (even beyond the API's window).
    for lost in sorted(((kept or {}).get(table, set()) & known) - loaded_ids):
        report.add(f"{table}: part {lost} was loaded before and is gone")
    report.part_ids[table] = loaded_ids


# -- readers -----------------------------------------------------------------------------------
class PipelineReader:
    """Rows of a table of an in-process dlt pipeline (any SQL destination). Each read opens a
    connection of its own, except within `session()`, where the reads share one: opening a
    dlt SQL client costs about as much as reading a tiny table, and a comparison reads dozens."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self._client: Any = None
        self._tables: dict[str, Any] | None = None

    def _schema_tables(self) -> dict[str, Any]:
        """The pipeline's tables; read once per session: each `default_schema` reloads and
        validates the stored schema, which costs more than reading a tiny table."""
        if self._tables is not None:
            return self._tables
        return self.pipeline.default_schema.tables

    def __call__(self, table: str) -> list[dict]:
        if table not in self._schema_tables():
            return []
        if self._client is not None:
            return self._read(self._client, table)
        with self.pipeline.sql_client() as client:
            return self._read(client, table)

    @contextmanager
    def session(self) -> Iterator[PipelineReader]:
        with self.pipeline.sql_client() as client:
            self._client, self._tables = client, self.pipeline.default_schema.tables
            try:
                yield self
            finally:
                self._client, self._tables = None, None

    def _read(self, client: Any, table: str) -> list[dict]:
        query = f"SELECT * FROM {client.make_qualified_table_name(table)}"
        try:
            with client.execute_query(query) as cursor:
                names = cursor_column_names(cursor)
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except Exception as exc:  # declared in the schema but not created yet
            message = str(exc).lower()
            if any(m in message for m in ("does not exist", "not found", "no such table")):
                return []
            raise
        return parse_text_timestamps(rows, self._schema_tables()[table]["columns"])


def pipeline_reader(pipeline: Any) -> Reader:
    return PipelineReader(pipeline)


@contextmanager
def one_connection(read: Reader) -> Iterator[Reader]:
    """`read`, sharing one connection while the block runs when the reader can."""
    session = getattr(read, "session", None)
    if session is None:
        yield read
    else:
        with session() as shared:
            yield shared


def parse_text_timestamps(rows: list[dict], columns: dict[str, Any]) -> list[dict]:
    """Timestamps a destination returns as ISO text (SQLite), as datetimes (UTC when naive)."""
    stamped = [name for name, column in columns.items() if column.get("data_type") == "timestamp"]
    for row in rows:
        for name in stamped:
            if isinstance(row.get(name), str):
                parsed = dt.datetime.fromisoformat(row[name])
                row[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return rows


def duckdb_reader(path: str, dataset: str) -> Reader:
    """Rows of a table in a DuckDB file written by `intercom-sync run` (opened read-only)."""
    import duckdb

    def read(table: str) -> list[dict]:
        with duckdb.connect(path, read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?",
                [dataset, table],
            ).fetchone()[0]
            if not exists:
                return []
            cursor = con.execute(f'SELECT * FROM "{dataset}"."{table}"')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return read
