"""Help center and news (issue 21): help centers, collections, sections (≤ 2.9), articles
(list and detail) and news items and newsfeeds, on every version (2.9 spec, 2.15 spec, 2.16).

The world keeps nested collections (`parent_id` set, 2.10+); 2.9 has no nested collections
but `sections`, whose `parent_id` is their collection (API-NOTES §3.6): there
`/help_center/collections` lists the top-level ones and `/help_center/sections` the nested ones.
Lists are page-numbered (family C); articles come newest `updated_at` first (API-NOTES §3.6).
Article lists carry no statistics (spec `article_list_item`); the detail does.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import not_found, version_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import numbered_page, numbered_pages_object
from emulator.http.rendering import dumps
from emulator.versions import ApiVersion

V210 = (2, 10)
V216 = (2, 16)
# article fields the 2.9 and 2.15 specs do not have (2.16 additions)
_ARTICLE_2_16 = (
    "body_markdown",
    "has_unpublished_changes",
    "draft_updated_at",
    "ai_chatbot_availability",
    "ai_copilot_availability",
    "ai_sales_agent_availability",
    "created_by_id",
    "updated_by_id",
    "exclude_from_article_suggestions",
    "help_center_audience",
    "scheduled_publish_at",
    "scheduled_unpublish_at",
    "tags",
)
_STATISTICS_2_16 = ("fin_involvements", "fin_resolutions", "fin_resolution_rate")


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _records(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    return sorted(ctx.world.content.get(kind, {}).values(), key=lambda r: int(r["id"]))


def _page(ctx: Ctx, items: list[dict[str, Any]]) -> Reply:
    per_page = ctx.per_page(50)
    page = numbered_page(len(items), ctx.int_param("page", 1), per_page)
    next_url = str(ctx.request.url.include_query_params(page=page.page + 1, per_page=per_page))
    body = {
        "type": "list",
        "data": items[page.start : page.stop],
        "total_count": len(items),
        "pages": numbered_pages_object(page, next_url),
    }
    return Reply(dumps(body), paged=True)


def list_help_centers(ctx: Ctx) -> Reply:
    centers = []
    for record in _records(ctx, "help_centers"):
        out = _public(record)
        if ctx.version.number < V216:
            out.pop("default", None)
            out.pop("locales", None)
        centers.append(out)
    return Reply(dumps({"type": "list", "data": centers}))


def list_collections(ctx: Ctx) -> Reply:
    collections = []
    for record in _records(ctx, "help_center_collections"):
        if ctx.version.number < V210:
            if record["parent_id"] is not None:
                continue  # a section on 2.9
            record = {k: v for k, v in record.items() if k != "parent_id"}
        collections.append(_public(record))
    return _page(ctx, collections)


def list_sections(ctx: Ctx) -> Reply:
    if ctx.version.number >= V210:
        # (as the middleware answers for an endpoint a version lacks)
        raise version_invalid(
            f"/help_center/sections is not available in version {ctx.version.name}"
        )
    sections = [
        {
            "type": "section",
            **{k: v for k, v in _public(r).items() if k not in ("type", "help_center_id")},
        }
        for r in _records(ctx, "help_center_collections")
        if r["parent_id"] is not None
    ]
    return _page(ctx, sections)


def render_article(record: dict[str, Any], version: ApiVersion, detail: bool) -> dict[str, Any]:
    out = _public(record)
    statistics = out.pop("statistics")
    if version.number < V216:
        for name in _ARTICLE_2_16:
            out.pop(name, None)
        statistics = {k: v for k, v in statistics.items() if k not in _STATISTICS_2_16}
    if version.number < V210:  # 2.9: the one parent, and what it is
        out["parent_id"] = out["parent_ids"][0] if out["parent_ids"] else None
        out["parent_type"] = "collection" if out["parent_ids"] else None
    if detail:
        out["statistics"] = statistics
    return out


def list_articles(ctx: Ctx) -> Reply:
    records = sorted(
        ctx.world.content.get("articles", {}).values(),
        key=lambda r: (-r["updated_at"], int(r["id"])),
    )
    return _page(ctx, [render_article(r, ctx.version, detail=False) for r in records])


def get_article(ctx: Ctx) -> Reply:
    article_id = ctx.path["id"]
    record = ctx.world.content.get("articles", {}).get(article_id)
    if record is None:
        raise not_found("Resource Not Found", "not_found")
    return Reply(dumps(render_article(record, ctx.version, detail=True)))


def list_news_items(ctx: Ctx) -> Reply:
    return _page(ctx, [_public(r) for r in _records(ctx, "news_items")])


def list_newsfeeds(ctx: Ctx) -> Reply:
    return _page(ctx, [_public(r) for r in _records(ctx, "newsfeeds")])


ROUTES = [
    ApiRoute("GET", "/help_center/help_centers", list_help_centers),
    ApiRoute("GET", "/help_center/collections", list_collections),
    ApiRoute("GET", "/help_center/sections", list_sections),
    ApiRoute("GET", "/articles", list_articles),
    ApiRoute("GET", "/articles/{id}", get_article),
    ApiRoute("GET", "/news/news_items", list_news_items),
    ApiRoute("GET", "/news/newsfeeds", list_newsfeeds),
]
