"""The `companies` resource: a full `/companies/scroll` each run, filtered client-side.

Intercom has no server-side `updated_at` filter for companies, and `/companies` and
`/companies/list` stop at 10,000 (and omit companies without users): the scroll is the only
complete read. Every run sees every company and loads those whose version
(`id`, `updated_at`) was not loaded yet (`cursor.HorizonCursor`: inclusive of the cursor's
second, and versions read within their own second are loaded again next run). The scroll
restarts after an expiry or a 500, so a company can come twice in one run: only its newest
version is loaded.

Tables (contract 3):
  companies(id, …)                merge (upsert) on id; `plan`, `custom_attributes` flattened,
                                  custom attributes typed from /data_attributes.
  companies__tags(company_id, tag_id), companies__segments(company_id, segment_id):
                                  nested tables, replaced per company on upsert.
Company `notes` (2.16) are not synced (a truncated preview).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from sources.intercom.client import IntercomClient
from sources.intercom.cursor import HorizonCursor
from sources.intercom.lookups import Workspace
from sources.intercom.records import link_rows, list_items, to_row
from sources.intercom.schema import custom_attribute_columns, table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, merge_hints

SCROLL_PATH = "/companies/scroll"
PAGE = 500  # rows per yielded item
LINKS = {"tags": ("tags", "tag_id"), "segments": ("segments", "segment_id")}
DROPPED = ("notes",)


def companies_resource(
    client: IntercomClient, workspace: Workspace, *, start_value: int | None
) -> DltResource:
    api_version = client.api_version

    def companies() -> Iterator[Any]:
        # By name: a parallelized generator runs in a worker thread.
        state = dlt.current.resource_state("companies")
        custom_columns = custom_attribute_columns(workspace.data_attributes("company"))
        # HorizonCursor, not a dlt incremental: dlt's boundary dedup is by id, so a company
        # loaded at second T and changed again within T (same `updated_at`) was dropped for
        # good. The client has answered a request by now, so its server clock is known.
        cursor = HorizonCursor(state, start_value=start_value, settled_before=client.server_time())
        since = cursor.since
        # Newest version per id, loaded after the scroll: a restarted scroll serves companies
        # changed since the first pass again, and two rows of one id in a load would
        # duplicate it (new ids) or keep the older one (known ids).
        latest: dict[str, dict] = {}
        for page in client.iter_scroll(SCROLL_PATH, items_key="data"):
            for company in page:
                version = company.get("updated_at")
                if since is not None and version is not None and int(version) < since:
                    continue  # unchanged since the last run (every run reads every company)
                held = latest.get(company["id"])
                if held is None or (held.get("updated_at") or 0) <= (version or 0):
                    latest[company["id"]] = company
        rows = [
            shape_company(company)
            for company in latest.values()
            if cursor.admit(company["id"], company.get("updated_at"))
        ]
        cursor.prune(cursor.since)  # the next run reads nothing older than its `since`
        for start in range(0, len(rows), PAGE):
            chunk = rows[start : start + PAGE]
            if start == 0:
                chunk = dlt.mark.with_hints(chunk, dlt.mark.make_hints(columns=custom_columns))
            yield chunk

    return dlt.resource(
        companies,
        name="companies",
        # Runs in dlt's thread pool, overlapping its HTTP waits with the other resources'.
        parallelized=True,
        write_disposition=merge_hints(),
        primary_key="id",
        columns=table_columns("companies", api_version),
        file_format=LOADER_FILE_FORMAT,
    )


def shape_company(company: dict) -> dict:
    """One scroll item -> companies row (link lists for tags/segments). Pure; copies."""
    row = dict(company)
    company_id = str(row["id"])
    for field, (items_key, column) in LINKS.items():
        if field in row:
            row[field] = link_rows(
                list_items(row[field], items_key), "company_id", company_id, column
            )
    for field in DROPPED:
        row.pop(field, None)
    return to_row(row)
