"""The `companies` resource: a full `/companies/scroll` each run, filtered client-side.

Intercom has no server-side `updated_at` filter for companies, and `/companies` and
`/companies/list` stop at 10,000 (and omit companies without users): the scroll is the only
complete read. Every run sees every company and loads the versions (`id`, `updated_at`) not
loaded yet that were updated since the previous scroll *began*, less a margin for the
`Date` clock running ahead of the clock stamping `updated_at` (`SEARCH_LAG_SECONDS`;
`cursor.HorizonCursor`: inclusive, and versions that may still change within their second
load again next run). Starting from the scroll's start, not from the newest `updated_at`
seen, matters: a company changed after the
scroll passed it is older than one changed later and seen. The scroll restarts after an expiry
or a 500, so a company can come twice in one run: the first version is loaded, a newer one
on the next run.

Tables (contract 3):
  companies(id, …)                merge (upsert) on id; `plan`, `custom_attributes` flattened,
                                  custom attributes typed from /data_attributes.
  companies__tags(company_id, tag_id), companies__segments(company_id, segment_id):
                                  nested tables, replaced per company on upsert.
  company_notes(id, company_id, …): 2.10+, the notes of the companies this run loads
                                  (notes.py), merged on id; the 2.16 embedded preview is dropped.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.arrow_rows import (
    ROOT_SYSTEM_COLUMNS,
    ArrowShaper,
    batched,
    declare_nested_tables,
    nested_table_name,
    page_tables,
)
from sources.intercom.attribute_keys import AttributeKeys
from sources.intercom.client import IntercomClient
from sources.intercom.cursor import HorizonCursor, IdSet
from sources.intercom.notes import COMPANY_NOTES, declare_notes_table, notes_item, read_notes
from sources.intercom.records import link_rows, list_items
from sources.intercom.schema import (
    CUSTOM_ATTRIBUTES_PREFIX,
    custom_attribute_columns,
    table_columns,
)
from sources.intercom.settings import (
    CLOCK_SKEW_SECONDS,
    LOADER_FILE_FORMAT,
    ROWS_PER_ITEM,
    SEARCH_LAG_SECONDS,
    merge_hints,
)
from sources.intercom.tombstones import SOFT, RunClaims, catch_up, root_columns
from sources.intercom.warehouse import current_warehouse
from sources.intercom.workspace import Workspace

SCROLL_PATH = "/companies/scroll"
# Resource-state key: the next run admits only versions updated at or after this.
SINCE_KEY = "scan_since"
# When a run stops early (another resource failed), keep reading the scroll to its end for at
# most this long: an open scroll would block the next run's scroll until it expires (1 min).
DRAIN_SECONDS = 30.0
LINKS = {"tags": ("tags", "tag_id"), "segments": ("segments", "segment_id")}
DROPPED = ("notes",)
NESTED_TABLES = tuple(nested_table_name("companies", field) for field in LINKS)


def companies_resource(
    client: IntercomClient,
    workspace: Workspace,
    *,
    start_value: int | None,
    deletes: str = SOFT,
    claims: RunClaims | None = None,
) -> DltResource:
    claims = claims if claims is not None else RunClaims()
    columns = table_columns("companies", client.api_version)
    with_notes = COMPANY_NOTES.available_in(client.api_version)

    def companies() -> Iterator[Any]:
        # By name: a parallelized generator runs in a worker thread.
        state = dlt.current.resource_state("companies")
        # A warehouse from before `_deleted_at`: its side tombstone tables applied once.
        yield from catch_up(state, current_warehouse(), "companies", deletes, claims)
        keys = AttributeKeys.in_state(state, CUSTOM_ATTRIBUTES_PREFIX)
        custom_columns = custom_attribute_columns(workspace.data_attributes("company"), keys)
        # The server clock before the scroll starts (the client has answered by now). Every
        # change after it has `updated_at >= scan_started` on *that* clock; the clock that
        # stamps `updated_at` may run behind it, so the next run looks back a margin before
        # it (`next_since`) — not from "the newest updated_at loaded": a company changed
        # after the scroll passed it would be older than a company changed later and seen.
        # The margin costs no request (every company is read anyway): versions already
        # loaded are dropped by (id, updated_at).
        scan_started = client.server_time()
        next_since = scan_started - SEARCH_LAG_SECONDS
        bounds = [b for b in (start_value, state.get(SINCE_KEY)) if b is not None]
        # HorizonCursor, not a dlt incremental: dlt's boundary dedup is by id, so a company
        # loaded at second T and changed again within T (same `updated_at`) was dropped for
        # good; versions that may still change within their second reload next run.
        cursor = HorizonCursor(
            state,
            start_value=max(bounds) if bounds else None,
            settled_before=scan_started - CLOCK_SKEW_SECONDS,
        )
        loaded_this_run = IdSet()
        shaper = ArrowShaper(
            "companies", {"companies": {**columns, **custom_columns}}, NESTED_TABLES
        )
        shaper.prepare_for_destination("companies")
        first_hints = dlt.mark.make_hints(columns=custom_columns)

        found_notes: list[dict] = []

        def fresh_pages() -> Iterator[list[dict]]:
            for page in read_ahead(client.iter_scroll(SCROLL_PATH, items_key="data")):
                changed = admitted(page)
                if with_notes and changed:  # their notes, in the same pass (notes.py)
                    found_notes.extend(read_notes(client, COMPANY_NOTES, changed))
                yield [shape_company(company) for company in changed]

        def admitted(page: list[dict]) -> list[dict]:
            changed = []
            for company in page:
                company_id = str(company["id"])
                # One version per id per run: two rows of one id in a load would duplicate it
                # (new ids) or keep the older one (known ids). A restarted scroll serves it
                # again; if it changed meanwhile, the next run loads the newer version.
                if company_id in loaded_this_run:
                    continue
                if claims.has("companies", company_id):
                    continue  # flagged deleted this run (confirmed by a 404): not loaded
                if cursor.admit(company_id, company.get("updated_at")):
                    claims.claim("companies", company_id)
                    loaded_this_run.add(company_id)
                    changed.append(company)
            return changed

        for rows in batched(fresh_pages(), ROWS_PER_ITEM):
            keys.apply(rows)
            # Typed custom attribute columns, declared once the definitions are known.
            yield from page_tables(shaper, rows, hints=first_hints)
            first_hints = None
            if found_notes:
                yield notes_item(COMPANY_NOTES, list(found_notes))
                found_notes.clear()
        state[SINCE_KEY] = next_since
        cursor.prune(next_since)  # the next run admits nothing older

    resource = dlt.resource(
        companies,
        name="companies",
        # Runs in dlt's thread pool, overlapping its HTTP waits with the other resources'.
        parallelized=True,
        write_disposition=merge_hints(),
        primary_key="id",
        columns={**columns, **ROOT_SYSTEM_COLUMNS, **root_columns("companies", deletes)},
        file_format=LOADER_FILE_FORMAT,
    )
    declare_nested_tables(resource, dict.fromkeys(NESTED_TABLES, "companies"))
    if with_notes:
        declare_notes_table(resource, COMPANY_NOTES, client.api_version, deletes)
    return resource


_END = object()


def read_ahead(pages: Iterator[list[dict]], drain_seconds: float = DRAIN_SECONDS) -> Iterator:
    """The scroll's pages, read by a background thread as fast as the API answers.

    Two reasons: a scroll idle for a minute expires (and restarts from scratch), and dlt may
    pull a parallelized resource slowly; and if the consumer stops early, the thread reads
    the scroll to its end (discarding, for at most `drain_seconds`) so it closes and does not
    block the next run with `scroll_exists`.
    """
    buffered: queue.Queue = queue.Queue()
    abandoned_at: list[float] = []

    def run() -> None:
        try:
            for page in pages:
                if abandoned_at:
                    if time.monotonic() - abandoned_at[0] > drain_seconds:
                        return
                    continue  # draining: nobody reads these
                buffered.put(page)
            buffered.put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            buffered.put(exc)

    threading.Thread(target=run, name="companies-scroll", daemon=True).start()
    try:
        while True:
            item = buffered.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        abandoned_at.append(time.monotonic())


def shape_company(company: dict) -> dict:
    """One scroll item -> companies row (link lists for tags/segments), before
    `records.to_row` (the Arrow path types the raw values itself). Pure; copies."""
    row = dict(company)
    company_id = str(row["id"])
    for field, (items_key, column) in LINKS.items():
        if field in row:
            row[field] = link_rows(
                list_items(row[field], items_key), "company_id", company_id, column
            )
    for field in DROPPED:
        row.pop(field, None)
    return row
