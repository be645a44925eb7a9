"""The `contacts` resource: incremental contact search that never misses a record.

Reads `POST /contacts/search` with a day-aligned filter (`windows.contact_window`: contact
search compares dates by calendar day in the workspace timezone and has no `>=`), and loads
only versions not loaded yet (`cursor.HorizonCursor`):

- a first sync (or a backfill chunk) reads the whole window sorted by `updated_at` ascending,
  split into concurrent local-day slices when it is large (`plan_slices`);
- an incremental run reads the window *newest first* and stops at the first page that reaches
  below `cursor - SEARCH_LAG_SECONDS` (the sort is to the second even though the filter is
  not), so an idle run costs one request instead of a re-read of the cursor's local day.
  Versions older than that cutoff were loaded by earlier runs: search shows a record at most
  `SEARCH_LAG_SECONDS` after its `updated_at` (Intercom: "a few minutes"). A backlog
  (more pages down to the cutoff than `CONTACT_NEWEST_FIRST_MAX_PAGES`, judged from the first
  page) is read the sliced ascending way instead.

Embedded `tags`/`companies` and consent lists stop at 10 items; when `has_more` the
sub-endpoints are read (concurrently; both consent lists come from one
`/contacts/{id}/subscriptions` read) so the link tables are complete. A consent change does not
move the contact's `updated_at` (nothing in the API says it does): consents refresh when the
contact is loaded again for another change (docs/tables.md). Records are handed to dlt as Arrow tables
(`arrow_rows`), `ROWS_PER_ITEM` (2,000) at a time.

Tables (contract 3):
  contacts(id, …)                 merge (upsert) on id; `location`, `custom_attributes` and
                                  other objects flattened with `__`; custom attributes typed
                                  from /data_attributes.
  contacts__tags(contact_id, tag_id), contacts__companies(contact_id, company_id),
  contacts__social_profiles(contact_id, type, name, url),
  contacts__opted_in_subscription_types / contacts__opted_out_subscription_types
                                  (contact_id, subscription_type_id): nested tables, replaced
                                  per contact on upsert.
  contacts_merged(id, merged_into_id, merged_at): 2.16 only, from `merge_history`
                                  (`include_merge_history=true`), merged on id; the merged-away
                                  contact's row in `contacts` gets `_deleted_at` = merged_at
                                  and `_merged_into_id` (or is removed: `deletes = "hard"`,
                                  tombstones.py). On 2.9 the API does not report merges: a
                                  merged-away contact simply stops appearing; `--reconcile`
                                  finds it and sets `_deleted_at` (not `_merged_into_id`).
  contact_notes(id, contact_id, …): the notes of the contacts this run loads (notes.py),
                                  merged on id; the embedded `notes` preview is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.api_version import at_least
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
from sources.intercom.notes import CONTACT_NOTES, declare_notes_table, notes_item, read_notes
from sources.intercom.records import has_more_pages, link_rows, list_items, to_row
from sources.intercom.schema import (
    CUSTOM_ATTRIBUTES_PREFIX,
    custom_attribute_columns,
    table_columns,
)
from sources.intercom.settings import (
    CLOCK_SKEW_SECONDS,
    CONTACT_COMPANIES_PAGE_SIZE,
    CONTACT_NEWEST_FIRST_MAX_PAGES,
    CONTACT_SAFETY_DAYS,
    CONTACT_SPLIT_MIN_PAGES,
    CONTACT_SPLIT_PROBES,
    LOADER_FILE_FORMAT,
    MAX_PAGE_SIZE,
    ROWS_PER_ITEM,
    SEARCH_LAG_SECONDS,
    merge_hints,
)
from sources.intercom.tombstones import (
    SOFT,
    RunClaims,
    Tombstone,
    catch_up,
    flag_items,
    keep_pending,
    pending,
    root_columns,
)
from sources.intercom.warehouse import current_warehouse
from sources.intercom.windows import (
    ContactSlice,
    ContactWindow,
    choose_boundaries,
    contact_window,
    day_noon,
    local_date,
    probe_days,
    slice_window,
)
from sources.intercom.workspace import Workspace

logger = logging.getLogger(__name__)

SEARCH_PATH = "/contacts/search"
SORT = {"field": "updated_at", "order": "ascending"}
NEWEST_FIRST = {"field": "updated_at", "order": "descending"}
NEWEST_FIRST_JUDGE_PAGES = 3  # pages read newest first before judging whether it is a backlog
# Pages the concurrent slices may read ahead of the consumer (each ~150 contacts, ~1 MB parsed).
PAGES_AHEAD = 8
MERGED_TABLE = "contacts_merged"
PENDING_MERGES_KEY = "merges_to_flag"  # resource state: merges seen, not flagged yet
MERGE_HISTORY_MIN_VERSION = "2.16"

# Embedded list field -> (link column for the listed id, sub-endpoint when truncated)
LINKS = {
    "tags": ("tag_id", "/contacts/{id}/tags"),
    "companies": ("company_id", "/contacts/{id}/companies"),
}
# Embedded consent list -> the `consent_type` of its items in the sub-endpoint's combined list
SUBSCRIPTION_LISTS = {
    "opted_in_subscription_types": "opt_in",
    "opted_out_subscription_types": "opt_out",
}
SUBSCRIPTIONS_PATH = "/contacts/{id}/subscriptions"
NESTED_TABLES = tuple(
    nested_table_name("contacts", field)
    for field in (*LINKS, *SUBSCRIPTION_LISTS, "social_profiles")
)
DROPPED = ("notes",)  # truncated preview lists we do not sync

MERGED_COLUMNS = {
    "id": {"data_type": "text", "nullable": False},
    "merged_into_id": {"data_type": "text"},
    "merged_at": {"data_type": "timestamp"},
    "source_contact_role": {"data_type": "text"},
}


def contacts_resource(
    client: IntercomClient,
    workspace: Workspace,
    *,
    start_value: int | None,
    page_size: int = MAX_PAGE_SIZE,
    end_value: int | None = None,
    deletes: str = SOFT,
    claims: RunClaims | None = None,
) -> DltResource:
    """`end_value` (exclusive): load only versions updated before it (a backfill chunk).
    Merged-away contacts are flagged (or removed, `deletes`) in `contacts` (tombstones.py)."""
    claims = claims if claims is not None else RunClaims()
    api_version = client.api_version
    with_merges = at_least(api_version, MERGE_HISTORY_MIN_VERSION)
    columns = table_columns("contacts", api_version)
    params = {"include_merge_history": "true"} if with_merges else None

    def contacts() -> Iterator[Any]:
        # By name: a parallelized generator runs in a worker thread.
        state = dlt.current.resource_state("contacts")
        # A warehouse from before `_deleted_at`: its side tombstone tables applied once.
        yield from catch_up(state, current_warehouse(), "contacts", deletes, claims)
        tz = workspace.timezone  # reads /me first: the client then knows the server clock
        cursor = HorizonCursor(
            state,
            start_value=start_value,
            settled_before=client.server_time() - CLOCK_SKEW_SECONDS,
            # pruned there at the end; within the run `loaded_this_run` dedupes
            remember_within=SEARCH_LAG_SECONDS,
        )
        since = cursor.since
        window = contact_window(since, tz, CONTACT_SAFETY_DAYS)
        # An incremental run: every version older than `cutoff` was loaded by an earlier run
        # (search shows a record at most SEARCH_LAG_SECONDS after its `updated_at`).
        incremental = cursor.last_value is not None and end_value is None
        cutoff = cursor.last_value - SEARCH_LAG_SECONDS if incremental else None
        keys = AttributeKeys.in_state(state, CUSTOM_ATTRIBUTES_PREFIX)
        custom_columns = custom_attribute_columns(workspace.data_attributes("contact"), keys)
        shaper = ArrowShaper("contacts", {"contacts": {**columns, **custom_columns}}, NESTED_TABLES)
        shaper.prepare_for_destination("contacts")
        first_hints = dlt.mark.make_hints(columns=custom_columns)
        per_page = min(page_size, MAX_PAGE_SIZE)

        def whole_window() -> Iterator[list[dict]]:
            slices = plan_slices(client, window, tz, per_page=per_page, end_value=end_value)
            logger.info(
                "contacts: window > %s (tz %s) read in %d slice(s)", window.after, tz, len(slices)
            )
            yield from concurrent_pages(
                [_slice_pages(client, piece, per_page, params) for piece in slices]
            )

        if cutoff is None:
            pages = whole_window()
        else:
            pages = newest_first(client, window, cutoff, per_page, params, then=whole_window)
        loaded_this_run = IdSet()
        found_notes: list[dict] = []

        def fresh_pages() -> Iterator[list[dict]]:
            for page in pages:
                fresh = []
                for contact in page:
                    # A contact changed while we page comes again, newer, on a later page.
                    # Load one version per run (two rows of one id in a load would duplicate
                    # it or keep the older one) and leave the newer to the next run's window.
                    if contact["id"] in loaded_this_run:
                        continue
                    if claims.has("contacts", contact["id"]):
                        continue  # flagged gone this run (a 404 confirmed it): not loaded
                    updated_at = contact.get("updated_at")
                    if updated_at is not None:  # (none: always loaded, see HorizonCursor.admit)
                        if end_value is not None and updated_at >= end_value:
                            continue  # search bounds by whole local days; the chunk ends there
                        if cutoff is not None and updated_at < cutoff:
                            continue  # loaded by an earlier run: the local day's re-read
                    if cursor.admit(contact["id"], updated_at):
                        fresh.append(contact)
                        loaded_this_run.add(contact["id"])
                        claims.claim("contacts", contact["id"])
                if fresh:
                    complete_links(client, fresh)
                    # their notes, in the same pass (notes.py)
                    found_notes.extend(read_notes(client, CONTACT_NOTES, fresh))
                    yield fresh

        gone = pending(state, PENDING_MERGES_KEY)  # merges an earlier run could not flag
        for batch in batched(fresh_pages(), ROWS_PER_ITEM):
            rows, merged = [], []
            for contact in batch:
                row, merges = shape_contact(contact)
                rows.append(row)
                merged.extend(merges)
            keys.apply(rows)
            # Typed custom attribute columns, declared once the definitions are known.
            yield from page_tables(shaper, rows, hints=first_hints)
            first_hints = None
            if merged:
                yield dlt.mark.with_table_name([to_row(m) for m in merged], MERGED_TABLE)
                gone += [merge_tombstone(m, client.server_time()) for m in merged]
            if found_notes:
                yield notes_item(CONTACT_NOTES, list(found_notes))
                found_notes.clear()
        # Flag the merged-away contacts, except those loaded in this run (one row per id per
        # load): their flag waits for the next run.
        flag_now = [t for t in gone if claims.claim("contacts", t.id)]
        keep_pending(state, PENDING_MERGES_KEY, [t for t in gone if t not in flag_now])
        yield from flag_items(current_warehouse(), "contacts", flag_now, deletes)
        if cursor.since is not None:
            # Keep the versions the next run can still admit: those from its cutoff on.
            cursor.prune(cursor.since - SEARCH_LAG_SECONDS)
        logger.info(
            "contacts: %d new versions loaded, %d re-read and skipped",
            cursor.admitted,
            cursor.skipped,
        )

    resource = dlt.resource(
        contacts,
        name="contacts",
        # Runs in dlt's thread pool, overlapping its HTTP waits with the other resources'.
        parallelized=True,
        write_disposition=merge_hints(),
        primary_key="id",
        file_format=LOADER_FILE_FORMAT,
    )
    # The tombstone table's hints, declared before the contact columns so that the variant
    # (a copy of the resource's hints at this point) does not inherit them.
    resource.apply_hints(
        table_name=MERGED_TABLE,
        write_disposition=merge_hints(),
        primary_key="id",
        columns=MERGED_COLUMNS,
        file_format=LOADER_FILE_FORMAT,
        create_table_variant=True,
    )
    declare_notes_table(resource, CONTACT_NOTES, api_version, deletes)
    resource.apply_hints(
        columns={**columns, **ROOT_SYSTEM_COLUMNS, **root_columns("contacts", deletes)}
    )
    declare_nested_tables(resource, dict.fromkeys(NESTED_TABLES, "contacts"))
    return resource


def newest_first(
    client: IntercomClient,
    window: ContactWindow,
    cutoff: int,
    per_page: int,
    params: dict | None,
    *,
    then: Callable[[], Iterator[list[dict]]],
) -> Iterator[list[dict]]:
    """An incremental run's pages: the window newest first, up to the first page that
    reaches below `cutoff`. The filter matches whole local days, but the sort is to the
    second, so a run with few changes reads one or two pages instead of the cursor's whole
    day (and the safety day before it). A record updated while we page moves to the front,
    behind us: the next run reads it.

    A backlog is read by `then()` instead — the whole window, sliced and concurrent, which
    finishes sooner than one sequential cursor over many pages. Whether it is one is judged
    after `NEWEST_FIRST_JUDGE_PAGES` pages: the time they span gives the pages down to the
    cutoff at that rate; more than `CONTACT_NEWEST_FIRST_MAX_PAGES` (in full pages) and those
    pages are all this reads newest first."""
    pages = _search_pages(client, window.query(), NEWEST_FIRST, per_page, params)
    newest = None
    for count, page in enumerate(pages, start=1):
        yield page
        if not page or (page[-1].get("updated_at") or 0) < cutoff:
            return
        if newest is None:
            newest = page[0].get("updated_at") or 0
        if count == NEWEST_FIRST_JUDGE_PAGES:
            oldest = page[-1].get("updated_at") or 0
            rate = (newest - oldest) / count  # seconds per page
            pages_to_cutoff = (newest - cutoff) / rate if rate > 0 else float("inf")
            if pages_to_cutoff * per_page > CONTACT_NEWEST_FIRST_MAX_PAGES * MAX_PAGE_SIZE:
                break
    else:
        return  # the whole window was newer than the cutoff, and it has been read
    pages.close()
    yield from then()


def _search_pages(
    client: IntercomClient, query: dict, sort: dict, per_page: int, params: dict | None
) -> Iterator[list[dict]]:
    return client.iter_search(
        SEARCH_PATH, query, items_key="data", sort=sort, per_page=per_page, params=params
    )


def _slice_pages(
    client: IntercomClient, piece: ContactSlice, per_page: int, params: dict | None
) -> Callable[[], Iterator[list[dict]]]:
    return lambda: _search_pages(client, piece.query(), SORT, per_page, params)


def _probe(client: IntercomClient, piece: ContactSlice) -> dict:
    """One 1-item page of a slice: its `total_count` and its oldest record."""
    return client.post(
        SEARCH_PATH, {"query": piece.query(), "pagination": {"per_page": 1}, "sort": SORT}
    )


def plan_slices(
    client: IntercomClient,
    window: ContactWindow,
    tz: str,
    *,
    per_page: int,
    end_value: int | None = None,
) -> list[ContactSlice]:
    """The window as one slice, or — when it holds many pages — split on local days into up
    to `client.max_concurrency` slices of similar size (sized from count probes), so a large
    backlog is paged concurrently. The slices partition the window exactly (windows.py).
    With `end_value` every slice also stops after `end_value`'s local day."""
    upper = None
    if end_value is not None:  # `<` matches before the start of this instant's local day
        upper = day_noon(local_date(end_value, tz) + dt.timedelta(days=1), tz)
    whole = ContactSlice(window.after, upper)
    parts = client.max_concurrency
    if parts <= 1:
        return [whole]
    head = _probe(client, whole)
    total = int(head.get("total_count") or 0)
    data = head.get("data") or []
    if total < CONTACT_SPLIT_MIN_PAGES * per_page or not data:
        return [whole]
    oldest = data[0].get("updated_at")
    first_day = local_date(max(window.covers_from, int(oldest or 0)), tz)
    last = client.server_time() if end_value is None else min(end_value, client.server_time())
    days = probe_days(first_day, local_date(last, tz), CONTACT_SPLIT_PROBES)
    if not days:
        return [whole]
    pieces = [ContactSlice(window.after, day_noon(day, tz)) for day in days]
    with ThreadPoolExecutor(max_workers=parts) as pool:
        counts = [
            int(b.get("total_count") or 0) for b in pool.map(lambda p: _probe(client, p), pieces)
        ]
    slices = slice_window(window, choose_boundaries(days, counts, total, parts), tz)
    return [ContactSlice(s.after, upper if s.before is None else s.before) for s in slices]


_DONE = object()


def concurrent_pages(sources: list[Callable[[], Iterator[list[dict]]]]) -> Iterator[list[dict]]:
    """Pages of every source, each source paged in its own thread, yielded as they arrive
    (one source: paged inline). An error in any source is raised here; leaving early stops
    the threads at their next page."""
    if len(sources) == 1:
        yield from sources[0]()
        return
    pages: queue.Queue = queue.Queue(maxsize=PAGES_AHEAD)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run(source: Callable[[], Iterator[list[dict]]]) -> None:
        try:
            for page in source():
                if not put(page):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in sources]
    for thread in threads:
        thread.start()
    remaining = len(threads)
    try:
        while remaining:
            item = pages.get()
            if item is _DONE:
                remaining -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()


def _truncated(embedded: Any) -> bool:
    return isinstance(embedded, dict) and bool(embedded.get("has_more"))


def complete_links(client: IntercomClient, contacts: list[dict]) -> None:
    """In place: replace truncated embedded `tags`/`companies` and consent lists
    (`has_more`) with the full lists from the sub-endpoints, fetched concurrently. A complete
    embedded list costs no request."""
    wanted: dict[str, tuple[dict, str]] = {}
    for contact in contacts:
        for field, (_, template) in LINKS.items():
            if _truncated(contact.get(field)):
                wanted[template.format(id=contact["id"])] = (contact, field)
    for field in LINKS:
        paths = {path: contact for path, (contact, f) in wanted.items() if f == field}
        if paths:
            _fetch_full_lists(client, field, paths)
    consents = {
        SUBSCRIPTIONS_PATH.format(id=contact["id"]): contact
        for contact in contacts
        if any(_truncated(contact.get(field)) for field in SUBSCRIPTION_LISTS)
    }
    if consents:
        _fetch_consents(client, consents)


def _fetch_consents(client: IntercomClient, paths: dict[str, dict]) -> None:
    """Both consent lists of each contact from one unpaginated read: the sub-endpoint lists
    the opted-out and opted-in types together, told apart by `consent_type`."""
    for path, body in client.get_many(list(paths)):
        if body is None:
            continue  # contact vanished (merged/deleted) since the search: keep the preview
        items = list(list_items(body, "data"))
        for field, consent_type in SUBSCRIPTION_LISTS.items():
            chosen = [item for item in items if item.get("consent_type") == consent_type]
            paths[path][field] = {"type": "list", "data": chosen, "has_more": False}


def _fetch_full_lists(client: IntercomClient, field: str, paths: dict[str, dict]) -> None:
    # Only the page-based companies sub-endpoint takes per_page; tags is unpaginated.
    params = {"per_page": CONTACT_COMPANIES_PAGE_SIZE} if field == "companies" else None
    for path, body in client.get_many(list(paths), params=params):
        if body is None:
            continue  # contact vanished (merged/deleted) since the search: keep the preview
        items = list(list_items(body, "data"))  # every sub-endpoint answers a `data` list
        if has_more_pages(body):
            items = [
                item
                for page in client.iter_numbered_pages(
                    path, items_key="data", per_page=CONTACT_COMPANIES_PAGE_SIZE
                )
                for item in page
            ]
        paths[path][field] = {"type": "list", "data": items, "has_more": False}


def merge_tombstone(merge: dict, fallback_at: int) -> Tombstone:
    """A `contacts_merged` row as the tombstone of the merged-away contact."""
    merged_at = merge.get("merged_at")
    return Tombstone(
        id=merge["id"],
        deleted_at=int(merged_at) if isinstance(merged_at, int) else fallback_at,
        merged_into_id=merge["merged_into_id"],
    )


def shape_contact(contact: dict) -> tuple[dict, list[dict]]:
    """One search result -> (contacts row, contacts_merged rows), before `records.to_row`
    (the Arrow path types the raw values itself). Pure; copies the record."""
    row = dict(contact)
    contact_id = str(row["id"])
    for field, (column, _) in LINKS.items():
        if field in row:
            row[field] = link_rows(list_items(row[field], "data"), "contact_id", contact_id, column)
    for field in SUBSCRIPTION_LISTS:
        if field in row:
            row[field] = link_rows(
                list_items(row[field], "data"), "contact_id", contact_id, "subscription_type_id"
            )
    if "social_profiles" in row:
        row["social_profiles"] = [
            {**profile, "contact_id": contact_id}
            for profile in list_items(row["social_profiles"], "data")
        ]
    for field in DROPPED:
        row.pop(field, None)
    merges = [
        {
            "id": str(item["source_contact_id"]),
            "merged_into_id": contact_id,
            "merged_at": item.get("merged_at"),
            "source_contact_role": item.get("source_contact_role"),
        }
        for item in row.pop("merge_history", None) or []
        if isinstance(item, dict) and item.get("source_contact_id")
    ]
    return row, merges
