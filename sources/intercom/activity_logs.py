"""The `admin_activity_logs` resource: the admins' audit trail, `GET /admins/activity_logs`
(every version: the 2.9 spec has it), incremental on `created_at`.

The endpoint filters on `created_at_after` (required) and `created_at_before`, and pages by
page number (`pages.next` a URL, API-NOTES §2 family C). Entries never change once written, so
each run reads only those created since the previous run, in closed windows that end one second
before the server's clock (`Date`) at the start of the run: a page-numbered list whose range
still grows while it is paged would shift under the reader (an entry skipped or read twice),
a range wholly in the past does not. A long pause is read in windows of `WINDOW_SECONDS`, so no
one query pages deep. The specs do not say whether the bounds are inclusive: consecutive
windows share their boundary second, and the next run starts `CLOCK_SKEW_SECONDS` before the
previous run's end (an entry stamped by a clock behind `Date` still lands in a window); rows
merge on `id`, so an entry read twice stays one row (and is loaded once per run).

Table (contract 3): admin_activity_logs(id, created_at, activity_type, activity_description,
performed_by__id, performed_by__email, performed_by__ip, metadata__…)  merge (upsert) on id.
`metadata` varies by activity type: flattened (`metadata__away_mode`), typed as the spec's
`activity_log_metadata` says; `metadata.changes` (keyed by setting name) as its keys come.
The first run reads all history (`created_at_after=0`), or from `start_date` when set; a
backfill chunk reads its window (`intercom-sync backfill`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import dlt
from dlt.sources import DltResource

from sources.intercom.client import IntercomClient
from sources.intercom.records import to_row
from sources.intercom.schema import table_columns
from sources.intercom.settings import (
    CLOCK_SKEW_SECONDS,
    LOADER_FILE_FORMAT,
    MAX_PAGE_SIZE,
    merge_hints,
)
from sources.intercom.workspace import Workspace

NAME = "admin_activity_logs"
PATH = "/admins/activity_logs"
ITEMS_KEY = "activity_logs"
# Resource-state key: the next run reads entries created at or after this (Unix seconds; the
# name `intercom-sync status` shows as the resource's cursor).
SINCE_KEY = "cursor"
WINDOW_SECONDS = 30 * 86400


def windows(since: int | None, until: int) -> list[tuple[int, int]]:
    """`(created_at_after, created_at_before)` pairs covering `[since, until]`: one from 0
    when nothing was read yet, else at most `WINDOW_SECONDS` each, sharing boundaries."""
    if since is None:
        return [(0, until)]
    since = min(since, until)
    bounds = [*range(since, until, WINDOW_SECONDS), until]
    if len(bounds) == 1:
        bounds = [since, until]
    return list(pairwise(bounds))


def activity_logs_resource(
    client: IntercomClient,
    workspace: Workspace,
    *,
    start_value: int | None,
    end_value: int | None = None,
) -> DltResource:
    """`end_value` (exclusive): a backfill chunk's end (pipelines/run/backfill.py); the
    chunk reads `[start_value, end_value)` and its throw-away state."""

    def admin_activity_logs() -> Iterator[list[dict]]:
        state = dlt.current.resource_state(NAME)
        workspace.me()  # one answer before reading the server's clock (read once per run)
        until = client.server_time() - 1
        if end_value is not None:
            until = min(until, end_value - 1)  # both bounds are inclusive
        bounds = [b for b in (start_value, state.get(SINCE_KEY)) if b is not None]
        loaded: set[str] = set()
        for after, before in windows(max(bounds) if bounds else None, until):
            params = {"created_at_after": after, "created_at_before": before}
            for items in client.iter_numbered_pages(
                PATH, items_key=ITEMS_KEY, per_page=MAX_PAGE_SIZE, params=params
            ):
                rows = []
                for item in items:
                    entry_id = str(item["id"])
                    if entry_id not in loaded:  # a boundary second read by two windows
                        loaded.add(entry_id)
                        rows.append(to_row(dict(item)))
                if rows:
                    yield rows
        next_since = until - CLOCK_SKEW_SECONDS
        state[SINCE_KEY] = next_since if start_value is None else max(next_since, start_value)

    return dlt.resource(
        admin_activity_logs,
        name=NAME,
        write_disposition=merge_hints(),
        primary_key="id",
        columns=table_columns(NAME, client.api_version),
        file_format=LOADER_FILE_FORMAT,
    )
