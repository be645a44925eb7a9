"""The `intercom` dlt source: every Intercom entity, incremental, nothing lost.

Configure in `.dlt/config.toml` under `[sources.intercom]` (region, api_version, start_date,
base_url, page_size, max_concurrency, deletes = "soft" | "hard") and the token in `.dlt/secrets.toml`
(`[sources.intercom] access_token = "…"`), env `SOURCES__INTERCOM__ACCESS_TOKEN`, or
`INTERCOM_ACCESS_TOKEN`.

Resources (what `--resources` selects), see each module for its tables:
  admins teams tags segments data_attributes ticket_types   lookups.py (replace)
  contacts (+ contacts_merged on 2.16, contact_notes)       contacts.py (merge; notes.py)
  (deleted/merged records: `_deleted_at`, `_merged_into_id`  tombstones.py)
  companies (+ company_notes on 2.10+)                      companies.py (merge; notes.py)
  conversations tickets (+ parts, conversations_deleted)    conversations.py (merge)
  ticket_states away_status_reasons brands office_hours_schedules content_snippets
  internal_articles macros subscription_types help_centers help_center_collections
  help_center_sections articles news_items newsfeeds        content.py (replace; macros merge;
                                                            each where its endpoint exists)
  activity_log_event_types (2.16) calls (2.10+)             content.py (replace)
  admin_activity_logs                                       activity_logs.py (merge, created_at)
  contacts__segments                                        segment_members.py (replace)
Opt-in (`include`, optional.py), read in their parent's pass:
  conversation_handling_events conversation_side_conversations   conversation_extras.py (2.16+)
  call_transcripts (with calls)                                    call_transcripts.py (2.10+)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.activity_logs import activity_logs_resource
from sources.intercom.client import IntercomClient
from sources.intercom.companies import companies_resource
from sources.intercom.contacts import contacts_resource
from sources.intercom.contained import ResourceFailures, contain
from sources.intercom.content import content_resources
from sources.intercom.conversations import conversation_resources
from sources.intercom.dlt_compat import parse_datetime, remember_type_hint_checks, table_variants
from sources.intercom.lookups import lookup_resources
from sources.intercom.optional import included, of_parent
from sources.intercom.reconcile import reconcile_resources
from sources.intercom.segment_members import segment_members_resource
from sources.intercom.settings import (
    DEFAULT_API_VERSION,
    DEFAULT_MAX_CONCURRENCY,
    MAX_PAGE_SIZE,
    MERGE,
    MERGE_STRATEGIES,
    REPLACED_RESOURCES,
    merge_hints,
    resolve_access_token,
)
from sources.intercom.tombstones import SOFT, RunClaims, check_mode
from sources.intercom.workspace import Workspace

__all__ = ["intercom", "parse_start_date"]


def parse_start_date(value: str | dt.date | dt.datetime | None) -> int | None:
    """`start_date` (ISO date or datetime; naive means UTC, a bare date its midnight) -> Unix
    seconds, None for all. The one date parser of the project: dlt's own."""
    if value is None or value == "":
        return None
    return int(parse_datetime(value).timestamp())


@dlt.source(name="intercom")
def intercom(
    access_token: str | None = dlt.secrets.value,
    region: str = "us",
    base_url: str | None = None,
    api_version: str = DEFAULT_API_VERSION,
    start_date: str | None = None,
    page_size: int = MAX_PAGE_SIZE,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    client: IntercomClient | None = None,
    reconcile: bool = False,
    end_date: str | None = None,
    merge_strategy: str = MERGE["strategy"],
    deletes: str = SOFT,
    failures: ResourceFailures | None = None,
    workspace: Workspace | None = None,
    include: list[str] | None = None,
) -> Sequence[DltResource]:
    """All Intercom resources. `client`, if given, is used as is (its version and base URL
    win); else one is built from the other arguments. `start_date` bounds the first run
    (records updated before it are not loaded); default: all history. `reconcile` adds
    the full id scans that tombstone deleted contacts/companies/tickets (reconcile.py).
    `end_date` (exclusive) bounds the searched resources (contacts, conversations, tickets)
    to one `updated_at` window: a backfill chunk (pipelines/run/backfill.py), run under a
    pipeline of its own since its cursor state is throw-away. `merge_strategy` is dlt's for
    the merged tables: `upsert`, or `delete-insert` for destinations that cannot upsert.
    `deletes`: "soft" flags deleted and merged-away records in their root table
    (`_deleted_at`, `_merged_into_id`), "hard" removes them (tombstones.py).
    `failures`: where given, a merged resource whose requests exhaust their retries ends
    alone (recorded there, its cursor unmoved) instead of failing the run; the lookups are
    contained by `contained.read_lookups_first`, given the same `workspace` (the per-run
    reads: /me, lookups, definitions; made here if not given) before the run.
    `include`: the opt-in resources to read (optional.py; `[sources.intercom] include`)."""
    remember_type_hint_checks()  # a tenth of a small sync's CPU (dlt_compat/type_hints.py)
    check_mode(deletes)
    switched_on = included(include)
    if merge_strategy not in MERGE_STRATEGIES:
        raise ValueError(
            f"merge_strategy {merge_strategy!r}: use one of {', '.join(MERGE_STRATEGIES)}"
        )
    if client is None:
        client = IntercomClient(
            resolve_access_token(access_token),
            base_url=base_url or None,
            region=region,
            api_version=str(api_version),
            max_concurrency=max_concurrency,
        )
    start_value = parse_start_date(start_date)
    end_value = parse_start_date(end_date)
    if not 1 <= int(page_size) <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size = {page_size!r}: Intercom pages hold 1 to {MAX_PAGE_SIZE}")
    page_size = int(page_size)
    if workspace is None:
        workspace = Workspace(client)  # /me, lookups and definitions, read once per run
    claims = RunClaims()  # one row per root id per load: loaded versions vs flags

    resources = [
        *lookup_resources(workspace),
        contacts_resource(
            client,
            workspace,
            start_value=start_value,
            page_size=page_size,
            end_value=end_value,
            deletes=deletes,
            claims=claims,
        ),
        companies_resource(
            client, workspace, start_value=start_value, deletes=deletes, claims=claims
        ),
    ]
    # conversations + tickets (+ parts, deletion feed): conversations.py
    resources += conversation_resources(
        client,
        workspace=workspace,
        start_value=start_value,
        page_size=page_size,
        end_value=end_value,
        deletes=deletes,
        claims=claims,
        include=of_parent(switched_on, "conversations"),
    )
    # each on the versions that have its endpoint; `calls` reads `call_transcripts` when included
    resources += content_resources(
        client, workspace, include=of_parent(switched_on, "calls"), failures=failures
    )
    resources.append(segment_members_resource(client, workspace))  # contacts__segments
    resources.append(
        activity_logs_resource(client, workspace, start_value=start_value, end_value=end_value)
    )
    if reconcile:  # contacts_deleted, companies_deleted, tickets_deleted: reconcile.py
        resources += reconcile_resources(client, deletes=deletes, claims=claims)
    if merge_strategy != MERGE["strategy"]:
        for resource in resources:
            _merge_with(resource, merge_strategy)
    if failures is not None:
        for resource in resources:
            if resource.name not in REPLACED_RESOURCES:  # read first instead: contained.py
                contain(resource, failures)
    return resources


def _merge_with(resource: DltResource, strategy: str) -> None:
    """Every merged table of `resource` (its own and its table variants) merged with
    `strategy`. Nested tables inherit their root's."""
    if _is_merge(resource.write_disposition):
        resource.apply_hints(write_disposition=merge_hints(strategy))
    for table, hints in list(table_variants(resource).items()):
        if _is_merge(hints.get("write_disposition")):
            resource.apply_hints(
                table_name=table,
                write_disposition=merge_hints(strategy),
                create_table_variant=True,
            )


def _is_merge(disposition: Any) -> bool:
    if isinstance(disposition, dict):
        return disposition.get("disposition") == "merge"
    return disposition == "merge"
