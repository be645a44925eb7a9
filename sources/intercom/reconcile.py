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
`id`, `detected_at` (the API's clock when the deletion was confirmed). Rows in the root
tables stay, like `conversations_deleted` and `contacts_merged` (history and metrics keep
them; analytics excludes tombstoned ids). A tombstoned id that is listed again (an
un-archived contact) loses its tombstone (`restored`, a dlt `hard_delete` column).
On 2.9 the API reports no merges: a merged-away contact is found here as deleted.

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
from dlt.extract.resource import DltResource

from sources.intercom.api_version import at_least
from sources.intercom.client import IntercomClient
from sources.intercom.records import utc
from sources.intercom.settings import MAX_PAGE_SIZE

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


def warehouse_ids(table: str) -> set[str]:
    """Ids in a destination table of the running pipeline ({} before its first load)."""
    pipeline = dlt.current.pipeline()
    # A pipeline's first run has no schema yet (the source's is attached after extraction).
    if pipeline.default_schema_name is None or table not in pipeline.default_schema.tables:
        return set()
    try:
        rows = pipeline.dataset()[table].select("id").fetchall()
    except Exception as exc:  # declared in the schema, never loaded into the destination
        logger.info("reconcile: cannot read %s from the destination (%s); skipped", table, exc)
        return set()
    return {str(row[0]) for row in rows}


def confirmed_gone(client: IntercomClient, entity: Reconciled, ids: set[str]) -> set[str]:
    """The candidates that `GET /<entity>/{id}` answers 404/410 for."""
    paths = {f"/{entity.root}/{id_}": id_ for id_ in sorted(ids)}
    return {paths[path] for path, body in client.get_many(paths) if body is None}


def reconcile_rows(client: IntercomClient, entity: Reconciled) -> Iterator[Any]:
    """Tombstones for ids that vanished, and tombstone removals for ids that came back.

    The warehouse is read here, in dlt's main extract thread (the running pipeline is a
    per-thread context there); the API scan is deferred to dlt's thread pool so that the
    `companies` resource keeps paging its scroll while this one waits for it."""
    tombstoned = warehouse_ids(entity.table)
    explained = tombstoned.union(*(warehouse_ids(t) for t in entity.also_gone))
    known = warehouse_ids(entity.root) - explained

    @dlt.defer
    def scan() -> list[dict[str, Any]]:
        live = live_ids(client, entity)
        candidates = known - live
        gone = confirmed_gone(client, entity, candidates) if candidates else set()
        restored = tombstoned & live
        logger.info(
            "reconcile %s: %d in the warehouse, %d listed, %d candidates, %d deleted, "
            "%d restored",
            entity.root,
            len(known),
            len(live),
            len(candidates),
            len(gone),
            len(restored),
        )
        detected_at = utc(client.server_time())
        return [
            *({"id": id_, "detected_at": detected_at, RESTORED: False} for id_ in sorted(gone)),
            *({"id": id_, "detected_at": detected_at, RESTORED: True} for id_ in sorted(restored)),
        ]

    yield scan()


def reconcile_resources(client: IntercomClient) -> list[DltResource]:
    """`<entity>_deleted` resources for the entities the pinned API version can list."""
    resources = []
    for entity in RECONCILED:
        if not at_least(client.api_version, entity.min_version):
            logger.warning(
                "reconcile: %s skipped, API %s cannot list them (use 2.10+)",
                entity.root,
                client.api_version,
            )
            continue
        resources.append(
            dlt.resource(
                reconcile_rows(client, entity),
                name=entity.table,
                write_disposition="merge",
                primary_key="id",
                columns={
                    "id": {"data_type": "text", "nullable": False},
                    "detected_at": {"data_type": "timestamp"},
                    RESTORED: {"data_type": "bool", "hard_delete": True},
                },
            )
        )
    return resources
