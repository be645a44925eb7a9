"""`contacts__segments(contact_id, segment_id)`: which contacts each segment holds, read whole
and replaced every run.

A segment is a rule ("seen in the last 30 days"): contacts join and leave it as time passes,
without their `updated_at` changing, so reading the segments of the contacts changed since the
last run (`GET /contacts/{id}/segments`) would keep every contact that left a segment in it for
ever. Each run searches each segment's members instead (`POST /contacts/search`, `segment_id =`,
150 a page, the segments concurrently, oldest `updated_at` first so that a contact changed while
its segment is paged comes again rather than being skipped). It is also the cheaper read: on
the emulator's `small` world (4,998 contacts, 12 segments, 5,008 memberships) 36 requests every
run, against 4,998 for a first run and ~800 for a daily run (~36 hourly) at one per changed
contact (docs/tables-naming.md, "Segment members").

Replaced like the lookups, and read before the run like them (`Workspace.pages`,
`contained.read_lookups_first`): one out of retries keeps its table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dlt
from dlt.sources import DltResource

from sources.intercom.client import IntercomClient
from sources.intercom.contacts import SEARCH_PATH, SORT, concurrent_pages
from sources.intercom.records import list_items
from sources.intercom.settings import LOADER_FILE_FORMAT, MAX_PAGE_SIZE
from sources.intercom.workspace import Workspace

NAME = "contacts__segments"
COLUMNS = {
    "contact_id": {"data_type": "text", "nullable": False},
    "segment_id": {"data_type": "text", "nullable": False},
}


def segment_members_resource(client: IntercomClient, workspace: Workspace) -> DltResource:
    def read() -> Iterator[list[dict]]:
        segments = list_items(workspace.get("/segments"), "segments")  # the lookup's read
        sources = [_members(client, str(segment["id"])) for segment in segments]
        if sources:
            yield from concurrent_pages(sources)

    workspace.add_replaced(NAME, read)

    def pages() -> Iterator[list[dict]]:
        yield from workspace.pages(NAME)

    return dlt.resource(
        pages,
        name=NAME,
        write_disposition="replace",
        columns=COLUMNS,
        primary_key=("contact_id", "segment_id"),
        file_format=LOADER_FILE_FORMAT,
    )


def _members(client: IntercomClient, segment_id: str) -> Callable[[], Iterator[list[dict]]]:
    def pages() -> Iterator[list[dict]]:
        seen: set[str] = set()  # a contact changed while paged comes again, later
        query = {"field": "segment_id", "operator": "=", "value": segment_id}
        for page in client.iter_search(
            SEARCH_PATH, query, items_key="data", sort=SORT, per_page=MAX_PAGE_SIZE
        ):
            rows = []
            for contact in page:
                contact_id = str(contact["id"])
                if contact_id not in seen:
                    seen.add(contact_id)
                    rows.append({"contact_id": contact_id, "segment_id": segment_id})
            if rows:
                yield rows

    return pages
