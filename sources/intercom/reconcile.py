"""`--reconcile`: find contacts, companies and tickets that no longer exist in Intercom.

Intercom has a deletion feed for conversations only (2.16 `/conversations/deleted`, see
`deletions.py`). Deleted or archived contacts, deleted companies and deleted tickets simply
vanish from list/search, and an incremental sync never hears of them. A reconcile run scans
every id the API still lists and compares it with the ids in the warehouse:

1. warehouse ids: `SELECT id` from the root table of the destination (rows loaded by earlier
   runs), minus ids already tombstoned (`<entity>_deleted`, and `contacts_merged`);
2. live ids: a full scan — contacts `GET /contacts` (cursor list, 150 per page, no search
   index lag), companies `GET /companies/scroll` (the only complete company read; it waits
   while the `companies` resource's scroll is open, Intercom allows one per workspace),
   tickets `POST /tickets/search` for every ticket (2.10+, 150 per page);
3. every candidate (in the warehouse, not listed) is confirmed with `GET /<entity>/{id}`:
   only a 404/410 makes it a tombstone, so a scan that missed a record (a page that moved,
   index lag) never flags a live one.

Tables (merge on `id`): `contacts_deleted`, `companies_deleted`, `tickets_deleted` with
`id`, `detected_at` (the API's clock when the deletion was confirmed), a change log. The
record's root row gets `_deleted_at = detected_at` (`deletes = "soft"`) or is removed
(`"hard"`), its link rows and parts removed (tombstones.py). A tombstoned id that is listed
again (an un-archived contact) loses its tombstone (`restored`, a dlt `hard_delete` column)
and its flag. On 2.9 the API reports no merges: a merged-away contact is found here as
deleted (`_deleted_at` set, `_merged_into_id` unknown and null).

Cost in requests per reconcile run: contacts ⌈N/150⌉, companies ⌈N/page⌉ scroll pages
(Intercom serves ~50–100 per page), tickets ⌈N/150⌉ — plus one GET per candidate. A 100k
contact / 20k company / 5k ticket workspace: ~670 + ~200–400 + ~34 requests, about
2–3 minutes at Intercom's default 1,000 requests/minute. Run it daily or weekly, not every sync.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.api_version import at_least
from sources.intercom.arrow_rows import ROOT_SYSTEM_COLUMNS
from sources.intercom.client import IntercomClient
from sources.intercom.records import utc
from sources.intercom.settings import MAX_PAGE_SIZE, merge_hints
from sources.intercom.tombstones import (
    PARTS_OF,
    SOFT,
    RunClaims,
    Tombstone,
    clear_items,
    flag_items,
    parts_columns,
    root_columns,
)
from sources.intercom.warehouse import current_warehouse, table_ids

logger = logging.getLogger("intercom_sync")

RESTORED = "restored"  # hard_delete column: True removes the tombstone row


@dataclass(frozen=True)
class Reconciled:
    """One entity whose deletions a full id scan detects."""

    root: str  # warehouse root table (and API collection)
    min_version: str  # first API version that can list every record
    also_gone: tuple[str, ...] = ()  # tombstone tables written elsewhere (not candidates)

    @property
    def table(self) -> str:
        return f"{self.root}_deleted"


CONTACTS = Reconciled("contacts", "2.0", also_gone=("contacts_merged",))
COMPANIES = Reconciled("companies", "2.0")
TICKETS = Reconciled("tickets", "2.10")
RECONCILED = (CONTACTS, COMPANIES, TICKETS)

# Every ticket: `created_at > 0` matches all; sorting on creation keeps positions stable while
# records are updated during the scan (an `updated_at` sort would move them).
ALL_TICKETS = {"field": "created_at", "operator": ">", "value": 0}
BY_CREATION = {"field": "created_at", "order": "ascending"}


def live_ids(client: IntercomClient, entity: Reconciled) -> set[str]:
    """Every id the API lists for `entity` now (a full scan; see the module docstring)."""
    if entity is CONTACTS:
        pages = client.iter_cursor_pages("/contacts", items_key="data", per_page=MAX_PAGE_SIZE)
    elif entity is COMPANIES:
        pages = client.iter_scroll("/companies/scroll", items_key="data")
    else:
        pages = client.iter_search(
            "/tickets/search",
            ALL_TICKETS,
            items_key="tickets",
            sort=BY_CREATION,
            per_page=MAX_PAGE_SIZE,
        )
    return {str(item["id"]) for page in pages for item in page}


def confirmed_gone(client: IntercomClient, entity: Reconciled, ids: set[str]) -> set[str]:
    """The candidates that `GET /<entity>/{id}` answers 404/410 for."""
    paths = {f"/{entity.root}/{id_}": id_ for id_ in sorted(ids)}
    return {paths[path] for path, body in client.get_many(paths) if body is None}


def reconcile_rows(
    client: IntercomClient, entity: Reconciled, deletes: str, claims: RunClaims
) -> Iterator[Any]:
    """Tombstones for ids that vanished, and tombstone removals for ids that came back; the
    vanished records flagged (or removed) in their root table, those that came back unflagged.

    A parallelized resource: it runs in dlt's thread pool, so that the `companies` resource
    keeps paging its scroll while this one waits for it."""
    warehouse = current_warehouse()
    tombstoned = table_ids(warehouse, entity.table)
    explained = tombstoned.union(*(table_ids(warehouse, t) for t in entity.also_gone))
    known = table_ids(warehouse, entity.root) - explained
    live = live_ids(client, entity)
    candidates = known - live
    gone = confirmed_gone(client, entity, candidates) if candidates else set()
    # A record loaded by its own resource in this run keeps that row; it is found again by
    # the next reconcile (no tombstone is written for it now).
    gone = {id_ for id_ in gone if claims.claim(entity.root, id_)}
    restored = tombstoned & live
    # Their flags are cleared here unless their own resource loads them (live) this run.
    to_clear = {id_ for id_ in restored if claims.claim(entity.root, id_)}
    logger.info(
        "reconcile %s: %d in the warehouse, %d listed, %d candidates, %d deleted, %d restored",
        entity.root,
        len(known),
        len(live),
        len(candidates),
        len(gone),
        len(restored),
    )
    detected = client.server_time()
    detected_at = utc(detected)
    rows = [
        *({"id": id_, "detected_at": detected_at, RESTORED: False} for id_ in sorted(gone)),
        *({"id": id_, "detected_at": detected_at, RESTORED: True} for id_ in sorted(restored)),
    ]
    if rows:
        yield rows
    yield from flag_items(
        warehouse, entity.root, [Tombstone(id_, detected) for id_ in sorted(gone)], deletes
    )
    if deletes == SOFT:
        yield from clear_items(warehouse, entity.root, to_clear)


def reconcile_resources(
    client: IntercomClient, *, deletes: str = SOFT, claims: RunClaims | None = None
) -> list[DltResource]:
    """`<entity>_deleted` resources for the entities the pinned API version can list."""
    claims = claims if claims is not None else RunClaims()
    resources = []
    for entity in RECONCILED:
        if not at_least(client.api_version, entity.min_version):
            logger.warning(
                "reconcile: %s skipped, API %s cannot list them (use 2.10+)",
                entity.root,
                client.api_version,
            )
            continue
        resource = dlt.resource(
            reconcile_rows(client, entity, deletes, claims),
            name=entity.table,
            write_disposition=merge_hints(),
            primary_key="id",
            parallelized=True,
        )
        # Root (and parts) rows this resource flags: variants declared before the tombstone
        # table's own columns, so that they do not inherit them.
        resource.apply_hints(
            table_name=entity.root,
            write_disposition=merge_hints(),
            primary_key="id",
            columns={**ROOT_SYSTEM_COLUMNS, **root_columns(entity.root, deletes)},
            create_table_variant=True,
        )
        if entity.root in PARTS_OF:
            resource.apply_hints(
                table_name=PARTS_OF[entity.root][0],
                write_disposition=merge_hints(),
                primary_key="id",
                columns={**ROOT_SYSTEM_COLUMNS, **parts_columns(deletes)},
                create_table_variant=True,
            )
        resource.apply_hints(
            columns={
                "id": {"data_type": "text", "nullable": False},
                "detected_at": {"data_type": "timestamp"},
                RESTORED: {"data_type": "bool", "hard_delete": True},
            }
        )
        resources.append(resource)
    return resources
