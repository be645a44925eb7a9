"""Content and settings lists (issue 21): ticket states, away status reasons, brands, office
hours schedules (+ exceptions), content snippets, internal articles, macros and subscription
types, each from the first version whose spec has it (2.10–2.15 are served the 2.15 spec's
endpoints; `/ticket_states` from 2.12, API-NOTES §6).

Pagination as each spec declares it: unpaginated lists (family E); `/internal_articles` and
`/macros` cursor pages (family A; macros newest `updated_at` first, `updated_since` filters
on `updated_at > since`); `/content_snippets` numbered pages with the page fields at the top
level (2.16 `content_snippet_list`).

One internal article by id (404 `not_found` "Resource Not Found", the spec's example) and
`GET /internal_articles/search` (`data.internal_articles`, one page of every match): the world
keeps no folders, so a `folder_id` matches nothing (emulator/README.md).
"""

from __future__ import annotations

import math
from typing import Any

from emulator.errors import not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import Ordering, cursor_page, cursor_pages_object, identity, one_page
from emulator.http.rendering import dumps
from emulator.versions import ApiVersion, render_ticket_type

V210 = (2, 10)
V212 = (2, 12)
V216 = (2, 16)

# internal article fields the 2.15 spec does not have yet
_INTERNAL_ARTICLE_2_16 = (
    "body_markdown",
    "audience_ids",
    "ai_chatbot_availability",
    "ai_copilot_availability",
    "ai_sales_agent_availability",
)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _records(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    """A snapshot of one content list in id order (advance may replace records meanwhile)."""
    records = list(ctx.world.content.get(kind, {}).values())
    return sorted(records, key=lambda r: int(r["id"]))


def _list(items: list[dict[str, Any]], list_type: str = "list") -> Reply:
    return Reply(dumps({"type": list_type, "data": items}))


def list_ticket_states(ctx: Ctx) -> Reply:
    """Every ticket state with the ticket types that use it (full `ticket_type` objects)."""
    world = ctx.world
    states = []
    for state in list(world.ticket_states.values()):
        used_by = [
            render_ticket_type(world.ticket_types[t["id"]], ctx.version)
            for t in state["ticket_types"]["data"]
            if t["id"] in world.ticket_types
        ]
        states.append({**state, "ticket_types": {"type": "list", "data": used_by}})
    return _list(states)


def list_away_status_reasons(ctx: Ctx) -> Reply:
    return _list([_public(r) for r in _records(ctx, "away_status_reasons")])


def list_brands(ctx: Ctx) -> Reply:
    return _list([_public(r) for r in _records(ctx, "brands")])


def list_subscription_types(ctx: Ctx) -> Reply:
    return _list([_public(r) for r in _records(ctx, "subscription_types")])


def list_office_hours_schedules(ctx: Ctx) -> Reply:
    schedules = [_public(r) for r in _records(ctx, "office_hours_schedules")]
    return _list(schedules, "office_hours_schedule.list")


def list_office_hours_exceptions(ctx: Ctx) -> Reply:
    schedule_id = ctx.path["office_hours_schedule_id"]
    if schedule_id not in ctx.world.content.get("office_hours_schedules", {}):
        raise not_found("Office hours schedule not found", "not_found")
    exceptions = [
        _public(r)
        for r in _records(ctx, "office_hours_exceptions")
        if r["office_hours_schedule_id"] == schedule_id
    ]
    return _list(exceptions, "office_hours_exception.list")


def list_content_snippets(ctx: Ctx) -> Reply:
    snippets = _records(ctx, "content_snippets")
    per_page = ctx.per_page(50)
    page = ctx.int_param("page", 1)
    total_pages = math.ceil(len(snippets) / per_page) if snippets else 0
    start = (page - 1) * per_page
    body = {
        "type": "list",
        "data": [_public(r) for r in snippets[start : start + per_page]],
        "total_count": len(snippets),
        "page": page,
        "per_page": per_page,
        "total_pages": total_pages,
    }
    return Reply(dumps(body), paged=True)


def _render_internal_article(record: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    out = _public(record)
    if version.number < V216:
        for name in _INTERNAL_ARTICLE_2_16:
            out.pop(name, None)
    return out


def list_internal_articles(ctx: Ctx) -> Reply:
    records = {r["id"]: r for r in _records(ctx, "internal_articles")}
    pairs = [(int(record_id), record_id) for record_id in records]
    return _cursor_reply(
        ctx,
        records,
        Ordering(pairs, identity, identity),
        "asc",
        lambda r: _render_internal_article(r, ctx.version),
    )


def get_internal_article(ctx: Ctx) -> Reply:
    record = ctx.world.content.get("internal_articles", {}).get(ctx.path["id"])
    if record is None:
        raise not_found()
    return Reply(dumps(_render_internal_article(record, ctx.version)))


def search_internal_articles(ctx: Ctx) -> Reply:
    folder = ctx.query.get("folder_id")
    records = [] if folder not in (None, "") else _records(ctx, "internal_articles")
    body = {
        "type": "list",
        "total_count": len(records),
        "data": {"internal_articles": [_render_internal_article(r, ctx.version) for r in records]},
        "pages": one_page(records),
    }
    return Reply(dumps(body))


def list_macros(ctx: Ctx) -> Reply:
    since_raw = ctx.query.get("updated_since")
    since = None
    if since_raw not in (None, ""):
        try:
            since = int(since_raw)
        except ValueError:
            raise parameter_invalid("updated_since must be a Unix timestamp") from None
    records = {
        r["id"]: r
        for r in _records(ctx, "macros")
        if since is None or r["_updated_at"] > since  # "updated after this time" (spec)
    }
    pairs = sorted((r["_updated_at"], record_id) for record_id, r in records.items())
    return _cursor_reply(ctx, records, Ordering(pairs, identity, identity), "desc", _public)


def _cursor_reply(ctx: Ctx, records: dict[str, dict], ordering, direction, render) -> Reply:
    page = cursor_page(
        ordering, direction, ctx.query.get("starting_after"), ctx.per_page(50), lambda _: True
    )
    body = {
        "type": "list",
        "data": [render(records[record_id]) for _, record_id in page.pairs],
        "total_count": len(records),
        "pages": cursor_pages_object(page, len(records)),
    }
    return Reply(dumps(body), paged=True)


ROUTES = [
    ApiRoute("GET", "/ticket_states", list_ticket_states, min_version=V212),
    ApiRoute("GET", "/away_status_reasons", list_away_status_reasons, min_version=V210),
    ApiRoute("GET", "/brands", list_brands, min_version=V210),
    ApiRoute("GET", "/office_hours_schedules", list_office_hours_schedules, min_version=V216),
    ApiRoute(
        "GET",
        "/office_hours_schedules/{office_hours_schedule_id}/office_hours_exceptions",
        list_office_hours_exceptions,
        min_version=V216,
    ),
    ApiRoute("GET", "/content_snippets", list_content_snippets, min_version=V216),
    ApiRoute("GET", "/internal_articles", list_internal_articles, min_version=V210),
    ApiRoute("GET", "/internal_articles/search", search_internal_articles, min_version=V210),
    ApiRoute("GET", "/internal_articles/{id}", get_internal_article, min_version=V210),
    ApiRoute("GET", "/macros", list_macros, min_version=V216),
    ApiRoute("GET", "/subscription_types", list_subscription_types),
]
