"""Notes of contacts and companies: `contact_notes` (`GET /contacts/{id}/notes`, every version)
and `company_notes` (`GET /companies/{id}/notes`, 2.10+), tables of their parent's resource.

Read only for the parents the parent resource loads in this run (those changed since its last
run), in the same pass, concurrently (`IntercomClient.get_many`, the detail reads' machinery).
A parent whose embedded `notes` list is complete and empty (`has_more` false, nothing in it)
has no notes: no request. Intercom's embedded list stops at 10 and holds only ids, so any other
parent's notes are read (page-numbered, 50 a page).

Adding a note moves the parent's `updated_at` in the emulator (the change that brings the
parent into the next run's read); real Intercom does not document whether it does
(docs/tables-naming.md, "Notes"): if it does not, a note added to a parent that does not
otherwise change reaches the warehouse with that parent's next change.

Tables (merge on the note's `id`): `contact_notes(id, contact_id, created_at, body, author__*)`,
`company_notes(id, company_id, …)`. A parent that left (deleted, merged away) takes its notes
with it: flagged with its `_deleted_at` (soft) or removed (hard), as parts are
(`tombstones.PARTS_OF`). A note deleted from a parent that stays is not removed (no feed says
so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.api_version import at_least
from sources.intercom.client import IntercomClient
from sources.intercom.records import has_more_pages, list_items, to_row
from sources.intercom.schema import table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, merge_hints
from sources.intercom.tombstones import parts_columns

NOTES_PAGE_SIZE = 50  # what Intercom's examples use for this endpoint (family C)


@dataclass(frozen=True)
class NotesOf:
    """One parent's notes: where they are read and what table they load into."""

    parent: str  # the parent's resource/root table
    table: str
    parent_key: str  # the parent's id column in `table`
    path: str
    since: str  # first API version with the endpoint

    def available_in(self, api_version: str) -> bool:
        return at_least(api_version, self.since)


CONTACT_NOTES = NotesOf("contacts", "contact_notes", "contact_id", "/contacts/{id}/notes", "2.9")
COMPANY_NOTES = NotesOf("companies", "company_notes", "company_id", "/companies/{id}/notes", "2.10")


def declare_notes_table(resource: DltResource, notes: NotesOf, api_version: str, deletes: str):
    """The notes table's hints on its parent's resource (a table variant, like a side table)."""
    resource.apply_hints(
        table_name=notes.table,
        write_disposition=merge_hints(),
        primary_key="id",
        columns={
            **table_columns(notes.table, api_version),
            notes.parent_key: {"data_type": "text", "nullable": False},
            **parts_columns(deletes),
        },
        file_format=LOADER_FILE_FORMAT,
        create_table_variant=True,
    )


def may_have_notes(record: dict) -> bool:
    """False only when the embedded list says there is none (complete and empty)."""
    embedded = record.get("notes")
    if not isinstance(embedded, dict):
        return True  # not embedded in this version: ask
    total = embedded.get("total_count")
    empty = not embedded.get("data") and (total is None or total == 0)
    return not (empty and embedded.get("has_more") is False)


def read_notes(client: IntercomClient, notes: NotesOf, parents: Iterable[dict]) -> list[dict]:
    """The note rows of `parents` (records just read), their requests concurrent."""
    paths = {
        notes.path.format(id=parent["id"]): str(parent["id"])
        for parent in parents
        if may_have_notes(parent)
    }
    rows: list[dict] = []
    params = {"per_page": NOTES_PAGE_SIZE}
    for path, body in client.get_many(list(paths), params=params):
        if body is None:
            continue  # the parent left since it was read: its flag takes its notes
        items = list_items(body, "data")
        if has_more_pages(body):
            pages = client.iter_numbered_pages(path, items_key="data", per_page=NOTES_PAGE_SIZE)
            items = [item for page in pages for item in page]
        rows += [note_row(item, notes.parent_key, paths[path]) for item in items]
    return rows


def note_row(note: dict, parent_key: str, parent_id: str) -> dict:
    row = dict(note)
    row[parent_key] = parent_id
    author = row.get("author")
    if isinstance(author, dict):  # an admin: its team lists are the admin's (`admins`), and
        # as nested tables of a note they would carry no note id
        row["author"] = {k: v for k, v in author.items() if not _holds_a_list(v)}
    return to_row(row)


def _holds_a_list(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_a_list(v) for v in value.values())
    return isinstance(value, list)


def notes_item(notes: NotesOf, rows: list[dict]) -> Any:
    return dlt.mark.with_table_name(rows, notes.table)
