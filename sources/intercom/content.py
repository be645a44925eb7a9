"""Content and settings lists (issue 21), each read only on API versions that have its endpoint.

Tables (every nested table carries its parent's id, docs/tables-naming.md):
  ticket_states(id, …) + ticket_states__ticket_types(ticket_state_id, ticket_type_id)   2.12+
  away_status_reasons(id, …)                                                        2.10+
  brands(id, …)                                                                     2.10+
  office_hours_schedules(id, …)                                                     2.16+
    + office_hours_schedules__time_intervals(office_hours_schedule_id, …)
    + office_hours_schedules__office_hours_exceptions(office_hours_schedule_id, id, …)
      + office_hours_schedules__office_hours_exceptions__time_intervals(office_hours_schedule_id,
          office_hours_exception_id, …)
  content_snippets(id, …) + __json_blocks(content_snippet_id, …)
    + __audience_ids(content_snippet_id, audience_id)                               2.16+
  internal_articles(id, …) + __audience_ids(internal_article_id, audience_id)       2.10+
  macros(id, …) + __visible_to_team_ids(macro_id, team_id)
    + __available_on(macro_id, value)                                               2.16+
  subscription_types(id, …) + __translations(subscription_type_id, …)
    + __content_types(subscription_type_id, value)                                  all
  help_centers(id, …) + __locales(help_center_id, value)                            all
  help_center_collections(id, parent_id (2.10+), help_center_id, …)
    + __translated_content(help_center_collection_id, locale, name, description)    all
  help_center_sections(id, parent_id, …)
    + __translated_content(help_center_section_id, locale, …)                      2.9 only
  articles(id, …, statistics__views …) + __translated_content(article_id, locale, title, …)
    + __parent_ids(article_id, parent_id) + __tags(article_id, tag_id)               all
  news_items(id, …) + __newsfeed_assignments(news_item_id, newsfeed_id, published_at)
    + __labels(news_item_id, value) + __reactions(news_item_id, value)             all
  newsfeeds(id, …)                                                                  all
  activity_log_event_types(event_type): what `admin_activity_logs.activity_type` can hold 2.16+
  calls(id, conversation_id, contact_id, admin_id, state, …_at …)                    2.10+

All are read whole and replaced each run, so a deleted record leaves its table. `macros`
too: `GET /macros?updated_since=` would read only the changed ones, but it never reports a
deleted macro, which would then look live for ever; a workspace's macros are a few pages.
`calls` too: `GET /calls` can be neither sorted nor filtered by `updated_at`, and
`POST /calls/search` takes conversation ids, not a time. Transcripts are the opt-in
`call_transcripts`, read with `calls` (call_transcripts.py); recordings are not read. Office hours exceptions cost
one request per schedule (a workspace has a handful). Articles cost one request per article each run: only the
detail has `statistics`, and views change without `updated_at` changing. Each translation
(`translated_content`, an object keyed by locale) is a row of a child table.

On a version without an endpoint the resource is deselected, and the run logs one warning line
naming those a newer version has (not `help_center_sections` from 2.10 on: its collections are
in `help_center_collections` there); selecting one explicitly fails with
`UnsupportedApiVersionError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from dlt.sources import DltResource

from sources.intercom.call_transcripts import TABLE as CALL_TRANSCRIPTS
from sources.intercom.call_transcripts import declare_table, read_transcripts
from sources.intercom.client import IntercomClient
from sources.intercom.contained import ResourceFailures
from sources.intercom.conversations import UnsupportedApiVersionError
from sources.intercom.dlt_compat import parse_datetime
from sources.intercom.lookups import Lookup, child_rows, replace_resource
from sources.intercom.settings import (
    CONTENT_RESOURCES,
    MAX_PAGE_SIZE,
)
from sources.intercom.workspace import Workspace

logger = logging.getLogger(__name__)

CONTENT_LOOKUPS = (
    Lookup(
        "ticket_states",
        "/ticket_states",
        "data",
        id_lists={"ticket_types": ("ticket_state_id", "ticket_type_id")},
        min_version="2.12",
    ),
    Lookup("away_status_reasons", "/away_status_reasons", "data", min_version="2.10"),
    Lookup("brands", "/brands", "data", min_version="2.10"),
    Lookup(
        "office_hours_schedules",
        "/office_hours_schedules",
        "data",
        children={"time_intervals": "office_hours_schedule_id"},
        min_version="2.16",
    ),
    Lookup(
        "content_snippets",
        "/content_snippets",
        "data",
        id_lists={"audience_ids": ("content_snippet_id", "audience_id")},
        children={"json_blocks": "content_snippet_id"},
        min_version="2.16",
        pages="numbered",
    ),
    Lookup(
        "internal_articles",
        "/internal_articles",
        "data",
        id_lists={"audience_ids": ("internal_article_id", "audience_id")},
        min_version="2.10",
        pages="cursor",
    ),
    Lookup(
        "macros",
        "/macros",
        "data",
        id_lists={"visible_to_team_ids": ("macro_id", "team_id")},
        children={"available_on": "macro_id"},
        min_version="2.16",
        pages="cursor",
    ),
    Lookup(
        "subscription_types",
        "/subscription_types",
        "data",
        children={"translations": "subscription_type_id", "content_types": "subscription_type_id"},
    ),
    Lookup(
        "help_centers", "/help_center/help_centers", "data", children={"locales": "help_center_id"}
    ),
    Lookup(
        "help_center_collections",
        "/help_center/collections",
        "data",
        translations={"translated_content": "help_center_collection_id"},
        pages="numbered",
    ),
    Lookup(
        "help_center_sections",
        "/help_center/sections",
        "data",
        translations={"translated_content": "help_center_section_id"},
        before_version="2.10",  # 2.10 nests collections (`parent_id`) instead
        pages="numbered",
    ),
    Lookup(
        "articles",
        "/articles",
        "data",
        id_lists={
            "parent_ids": ("article_id", "parent_id"),
            "tags": ("article_id", "tag_id"),
        },
        list_keys={"tags": "tags"},
        translations={"translated_content": "article_id"},
        pages="numbered",
    ),
    Lookup(
        "news_items",
        "/news/news_items",
        "data",
        children={
            "newsfeed_assignments": "news_item_id",
            "labels": "news_item_id",
            "reactions": "news_item_id",
        },
        pages="numbered",
    ),
    Lookup("newsfeeds", "/news/newsfeeds", "data", pages="numbered"),
    Lookup(
        "activity_log_event_types",
        "/admins/activity_log_event_types",
        "event_types",
        min_version="2.16",
    ),
    # Read whole each run: `GET /calls` is neither sorted by nor filterable on `updated_at`,
    # and `POST /calls/search` only finds the calls of given conversations (20 at a time).
    Lookup("calls", "/calls", "data", min_version="2.10", pages="numbered"),
)
# Primary keys other than `id`.
PRIMARY_KEYS = {"activity_log_event_types": "event_type"}
BY_NAME = {lookup.name: lookup for lookup in CONTENT_LOOKUPS}
EXCEPTIONS_PATH = "/office_hours_schedules/{id}/office_hours_exceptions"


def unsupported(lookup: Lookup, api_version: str) -> str:
    if lookup.before_version:
        since = f"only before {lookup.before_version}"
    else:
        since = f"from {lookup.min_version}"
    return (
        f"Intercom API {api_version} has no {lookup.name} endpoint (`GET {lookup.path}` exists "
        f"{since}): use a version that has it, or leave `{lookup.name}` out of the resources."
    )


def _office_hours(client: IntercomClient, lookup: Lookup) -> Iterator[list[dict]]:
    """Schedules with their exceptions (one request per schedule) as a nested list."""
    for rows in lookup.read(client):
        for row in rows:
            path = EXCEPTIONS_PATH.format(id=row["id"])
            exceptions = Lookup("office_hours_exceptions", path, "data").rows(client.get(path))
            for exception in exceptions:
                exception["office_hours_schedule_id"] = str(row["id"])
                if isinstance(exception.get("time_intervals"), list):
                    exception["time_intervals"] = [
                        {**interval, "office_hours_exception_id": str(exception["id"])}
                        for interval in child_rows(
                            exception["time_intervals"], "office_hours_schedule_id", str(row["id"])
                        )
                    ]
            row["office_hours_exceptions"] = exceptions
        yield rows


def _articles(client: IntercomClient, lookup: Lookup) -> Iterator[list[dict]]:
    """Every article, as its detail: the list lacks `statistics`, which change (views) without
    `updated_at` changing, so each run reads them all (one request per article)."""
    for items in client.iter_numbered_pages(
        lookup.path, items_key=lookup.items_key, per_page=MAX_PAGE_SIZE
    ):
        paths = [f"{lookup.path}/{item['id']}" for item in items]
        details = [body for _, body in client.get_many(paths) if body is not None]
        yield lookup.rows_of(details)


def _macros(client: IntercomClient, lookup: Lookup) -> Iterator[list[dict]]:
    """Every macro (the whole list: see the module's docstring), timestamps parsed."""
    for items in client.iter_cursor_pages(
        lookup.path, items_key=lookup.items_key, per_page=MAX_PAGE_SIZE
    ):
        rows = lookup.rows_of(items)
        for row in rows:
            for key in ("created_at", "updated_at"):  # ISO strings here, not Unix seconds
                if isinstance(row.get(key), str):
                    row[key] = parse_datetime(row[key])
        yield rows


def _event_types(client: IntercomClient, lookup: Lookup) -> Iterator[list[dict]]:
    """The list's strings, one row each."""
    body = client.get(lookup.path) or {}
    yield [{"event_type": str(name)} for name in body.get(lookup.items_key) or []]


Reader = Callable[[], Iterator[list[dict]]]


def _unsupported_reader(lookup: Lookup, api_version: str) -> Reader:
    def read() -> Iterator[list[dict]]:
        raise UnsupportedApiVersionError(unsupported(lookup, api_version))
        yield []  # a generator, like the others

    return read


def content_resources(
    client: IntercomClient,
    workspace: Workspace,
    include: frozenset[str] = frozenset(),
    failures: ResourceFailures | None = None,
) -> list[DltResource]:
    """The resources of this module, in the order of settings.CONTENT_RESOURCES; those the
    run's API version lacks are deselected (one log line names them). The replaced ones read
    through `workspace.pages`, so that the run can read them before it starts (contained.py).
    `include`: the switched-on opt-ins; `call_transcripts` is read in the `calls` run (a
    transcript search out of retries is recorded in `failures`, where given)."""
    api_version = client.api_version
    resources = []
    missing = []
    for name in CONTENT_RESOURCES:
        lookup = BY_NAME[name]
        available = lookup.available_in(api_version)
        if not available:
            gen = _unsupported_reader(lookup, api_version)
            if lookup.before_version is None:  # newer than this version: worth a warning
                missing.append(name)
        elif name == "office_hours_schedules":
            gen = _bind(_office_hours, client, lookup)
        elif name == "macros":
            gen = _bind(_macros, client, lookup)
        elif name == "articles":
            gen = _bind(_articles, client, lookup)
        elif name == "activity_log_event_types":
            gen = _bind(_event_types, client, lookup)
        else:
            gen = _bind(Lookup.read, lookup, client)
        read = _read_first(workspace, name, gen)
        transcripts = name == "calls" and available and CALL_TRANSCRIPTS in include
        if transcripts:
            read = _with_transcripts(client, read, failures)
        resource = replace_resource(
            name,
            read,
            api_version,
            primary_key=PRIMARY_KEYS.get(name, "id"),
            variants=(lambda r: declare_table(r, api_version)) if transcripts else None,
        )
        if name == "calls" and CALL_TRANSCRIPTS in include and not transcripts:
            missing.append(CALL_TRANSCRIPTS)
        resource.selected = available
        resources.append(resource)
    if missing:
        logger.warning(
            "not on Intercom API %s, skipped: %s (their endpoints are not in this version)",
            api_version,
            ", ".join(missing),
        )
    return resources


def _with_transcripts(
    client: IntercomClient, read: Reader, failures: ResourceFailures | None
) -> Reader:
    """The calls pages, then the transcripts of the calls this run reads (the calls' own
    table is replaced; `call_transcripts` merges)."""

    def pages() -> Iterator[Any]:
        calls: list[dict] = []
        for page in read():
            calls += [dict(row) for row in page]  # copies: dlt owns the rows it was handed
            yield page
        yield from read_transcripts(client, calls, failures)

    return pages


def _read_first(workspace: Workspace, name: str, read: Reader) -> Reader:
    workspace.add_replaced(name, read)

    def pages() -> Iterator[list[dict]]:
        yield from workspace.pages(name)

    return pages


def _bind(function: Callable[..., Iterator[list[dict]]], *args: Any) -> Reader:
    def read() -> Iterator[list[dict]]:
        yield from function(*args)

    return read
