"""The `companies` resource: a full `/companies/scroll` each run, filtered client-side.

Intercom has no server-side `updated_at` filter for companies, and `/companies` and
`/companies/list` stop at 10,000 (and omit companies without users): the scroll is the only
complete read. Since every run sees every company, a plain dlt incremental on `updated_at`
(inclusive, deduplicated on `id` at the boundary) is exactly right: changed companies load,
unchanged ones do not. The scroll restarts after an expiry or a 500, so a company can come
twice in one run; we skip repeats of the same version and the upsert keeps one row.

Tables (contract 3):
  companies(id, …)                merge (upsert) on id; `plan`, `custom_attributes` flattened,
                                  custom attributes typed from /data_attributes.
  companies__tags(company_id, tag_id), companies__segments(company_id, segment_id):
                                  nested tables, replaced per company on upsert.
Company `notes` (2.16) are not synced (a truncated preview).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from sources.intercom.client import IntercomClient
from sources.intercom.lookups import Workspace
from sources.intercom.records import link_rows, list_items, to_row, utc
from sources.intercom.schema import custom_attribute_columns, table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, merge_hints

SCROLL_PATH = "/companies/scroll"
LINKS = {"tags": ("tags", "tag_id"), "segments": ("segments", "segment_id")}
DROPPED = ("notes",)


def companies_resource(
    client: IntercomClient, workspace: Workspace, *, start_value: int | None
) -> DltResource:
    api_version = client.api_version
    initial: dt.datetime | None = utc(start_value) if start_value is not None else None

    cursor = dlt.sources.incremental(
        "updated_at", initial_value=initial, on_cursor_value_missing="include"
    )

    def companies(
        updated_at: dlt.sources.incremental[dt.datetime] = cursor,
    ) -> Iterator[Any]:
        custom_columns = custom_attribute_columns(workspace.data_attributes("company"))
        threshold = updated_at.start_value  # skip shaping what the incremental drops anyway
        seen: dict[str, Any] = {}
        first = True
        for page in client.iter_scroll(SCROLL_PATH, items_key="data"):
            rows = []
            for company in page:
                version = company.get("updated_at")
                if seen.get(company["id"], object()) == version:
                    continue  # the scroll restarted and returned this version again
                seen[company["id"]] = version
                if threshold is not None and version is not None and utc(version) < threshold:
                    continue
                rows.append(shape_company(company))
            if not rows:
                continue
            if first:
                rows = dlt.mark.with_hints(rows, dlt.mark.make_hints(columns=custom_columns))
                first = False
            yield rows

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
