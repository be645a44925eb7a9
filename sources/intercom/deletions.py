"""The 2.16 deletion feed `GET /conversations/deleted` -> tombstone table `conversations_deleted`.

Table `conversations_deleted(id, deleted_at, metrics_retained)`, merged on `id`. It is written
by the `conversations` resource (on API 2.16+ only; older versions have no deletion feed), a
change log. The deleted conversation's row in `conversations` gets `_deleted_at` (or is
removed), its link rows and parts are removed: `tombstones.py`.

The feed is page-numbered (`per_page` ≤ 60) with `order=desc` by deletion time (the spec's
example lists the newest `deleted_at` first). Reading newest first lets an incremental run stop
at the first page that reaches below `since`; deletions that happen while we page push items
down, so we may see an item twice but never skip one. If a response is not ordered newest first
(another server, another version), the early stop is switched off and the whole feed is read.
"""

from __future__ import annotations

from collections.abc import Iterator

from sources.intercom.client import IntercomClient
from sources.intercom.schema import column_schema

DELETED_TABLE = "conversations_deleted"
DELETED_PATH = "/conversations/deleted"
DELETED_PAGE_SIZE = 60  # the endpoint's maximum
DELETED_MIN_API_VERSION = "2.16"
DELETED_COLUMNS = {
    "id": {"data_type": "text", "nullable": False},
    "deleted_at": column_schema("timestamp"),
    "metrics_retained": column_schema("bool"),
}


def iter_deleted_conversations(client: IntercomClient, since: int | None) -> Iterator[list[dict]]:
    """Pages of `{id, deleted_at, metrics_retained}` rows with `deleted_at >= since` (all if
    `since` is None), newest first."""
    previous: int | None = None
    ordered = True
    for page in client.iter_numbered_pages(
        DELETED_PATH,
        items_key="conversations",
        per_page=DELETED_PAGE_SIZE,
        params={"order": "desc"},
    ):
        rows = [_tombstone(item) for item in page if item.get("id") is not None]
        for row in rows:
            deleted_at = row.get("deleted_at")
            if previous is not None and isinstance(deleted_at, int) and deleted_at > previous:
                ordered = False  # not newest-first: the early stop would be unsafe
            if isinstance(deleted_at, int):
                previous = deleted_at
        if since is None:
            yield rows
            continue
        yield [
            row
            for row in rows
            if not isinstance(row.get("deleted_at"), int) or row["deleted_at"] >= since
        ]
        if ordered and previous is not None and previous < since:
            return


def _tombstone(item: dict) -> dict:
    return {
        "id": str(item["id"]),
        "deleted_at": item.get("deleted_at"),
        "metrics_retained": item.get("metrics_retained"),
    }
