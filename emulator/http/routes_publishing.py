"""Help center and news (issue 21): help centers, collections, sections (≤ 2.9), articles
(list and detail) and news items and newsfeeds, on every version (2.9 spec, 2.15 spec, 2.16).

The world keeps nested collections (`parent_id` set, 2.10+); 2.9 has no nested collections
but `sections`, whose `parent_id` is their collection (API-NOTES §3.6): there
`/help_center/collections` lists the top-level ones and `/help_center/sections` the nested ones.
Lists are page-numbered (family C); articles come newest `updated_at` first (API-NOTES §3.6).
Article lists carry no statistics (spec `article_list_item`); the detail does.

One item of each list by id (404 `not_found` "Resource Not Found", the specs' examples; the
newsfeed detail documents no 404: the same), a newsfeed's live items (page-numbered like the
lists) and `GET /articles/search` (2.10+), whose filters are approximated: `phrase` matches a
case-insensitive substring of title, description or body, and `highlight` marks its
occurrences (emulator/README.md).
"""

from __future__ import annotations

from typing import Any

from emulator.errors import not_found, parameter_invalid, version_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import numbered_page, numbered_pages_object, one_page
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


def _one(ctx: Ctx, kind: str) -> dict[str, Any]:
    """The record of `kind` the path's id names, or Intercom's 404."""
    record = ctx.world.content.get(kind, {}).get(ctx.path["id"])
    if record is None:
        raise not_found()
    return record


def _render_help_center(record: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    out = _public(record)
    if version.number < V216:
        out.pop("default", None)
        out.pop("locales", None)
    return out


def list_help_centers(ctx: Ctx) -> Reply:
    centers = [_render_help_center(r, ctx.version) for r in _records(ctx, "help_centers")]
    return Reply(dumps({"type": "list", "data": centers}))


def get_help_center(ctx: Ctx) -> Reply:
    return Reply(dumps(_render_help_center(_one(ctx, "help_centers"), ctx.version)))


def _render_collection(record: dict[str, Any], version: ApiVersion) -> dict[str, Any] | None:
    """A collection as `version` serves it; None for a nested one on 2.9 (a section there)."""
    if version.number < V210:
        if record["parent_id"] is not None:
            return None
        record = {k: v for k, v in record.items() if k != "parent_id"}
    return _public(record)


def list_collections(ctx: Ctx) -> Reply:
    rendered = (
        _render_collection(r, ctx.version) for r in _records(ctx, "help_center_collections")
    )
    return _page(ctx, [c for c in rendered if c is not None])


def get_collection(ctx: Ctx) -> Reply:
    collection = _render_collection(_one(ctx, "help_center_collections"), ctx.version)
    if collection is None:
        raise not_found()  # 2.9 serves it as a section
    return Reply(dumps(collection))


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


def _articles_newest_first(ctx: Ctx) -> list[dict[str, Any]]:
    return sorted(
        ctx.world.content.get("articles", {}).values(),
        key=lambda r: (-r["updated_at"], int(r["id"])),
    )


def list_articles(ctx: Ctx) -> Reply:
    records = _articles_newest_first(ctx)
    return _page(ctx, [render_article(r, ctx.version, detail=False) for r in records])


_ARTICLE_STATES = ("published", "draft", "all")


def search_articles(ctx: Ctx) -> Reply:
    """`GET /articles/search`: the articles matching `phrase`, `state` and `help_center_id`,
    newest first as the list, on one page (`data.articles`, `data.highlights`)."""
    phrase = (ctx.query.get("phrase") or "").strip()
    state = ctx.query.get("state") or "all"
    if state not in _ARTICLE_STATES:
        raise parameter_invalid("state must be one of published, draft, all")
    center = ctx.query.get("help_center_id")
    collections = ctx.world.content.get("help_center_collections", {})
    matches = [
        r
        for r in _articles_newest_first(ctx)
        if (state == "all" or r["state"] == state)
        and (not phrase or any(_find(r[k], phrase) >= 0 for k in ("title", "description", "body")))
        and (center in (None, "") or _in_help_center(r, center, collections))
    ]
    data: dict[str, Any] = {
        "articles": [render_article(r, ctx.version, detail=False) for r in matches],
        "highlights": [_highlight(r, phrase) for r in matches] if ctx.flag("highlight") else [],
    }
    body = {"type": "list", "total_count": len(matches), "data": data, "pages": one_page(matches)}
    return Reply(dumps(body))


def _find(text: str, phrase: str) -> int:
    return text.lower().find(phrase.lower())


def _in_help_center(article: dict[str, Any], center: str, collections: dict[str, dict]) -> bool:
    return any(
        str(collections[str(p)]["help_center_id"]) == center
        for p in article["parent_ids"]
        if str(p) in collections
    )


def _chunks(text: str, phrase: str) -> list[dict[str, str]]:
    """`text` split into plain and highlighted chunks around each occurrence of `phrase`."""
    chunks, rest = [], text
    while phrase and (at := _find(rest, phrase)) >= 0:
        if at:
            chunks.append({"type": "plain", "text": rest[:at]})
        chunks.append({"type": "highlight", "text": rest[at : at + len(phrase)]})
        rest = rest[at + len(phrase) :]
    if rest:
        chunks.append({"type": "plain", "text": rest})
    return chunks


def _highlight(article: dict[str, Any], phrase: str) -> dict[str, Any]:
    return {
        "article_id": article["id"],
        "highlighted_title": _chunks(article["title"], phrase),
        "highlighted_summary": [_chunks(article["description"], phrase)],
    }


def get_article(ctx: Ctx) -> Reply:
    article_id = ctx.path["id"]
    record = ctx.world.content.get("articles", {}).get(article_id)
    if record is None:
        raise not_found("Resource Not Found", "not_found")
    return Reply(dumps(render_article(record, ctx.version, detail=True)))


def list_news_items(ctx: Ctx) -> Reply:
    return _page(ctx, [_public(r) for r in _records(ctx, "news_items")])


def get_news_item(ctx: Ctx) -> Reply:
    return Reply(dumps(_public(_one(ctx, "news_items"))))


def list_newsfeeds(ctx: Ctx) -> Reply:
    return _page(ctx, [_public(r) for r in _records(ctx, "newsfeeds")])


def get_newsfeed(ctx: Ctx) -> Reply:
    return Reply(dumps(_public(_one(ctx, "newsfeeds"))))


def list_newsfeed_items(ctx: Ctx) -> Reply:
    """The live news items published to one newsfeed (spec `listLiveNewsfeedItems`)."""
    feed_id = int(_one(ctx, "newsfeeds")["id"])
    items = [
        _public(r)
        for r in _records(ctx, "news_items")
        if r["state"] == "live"
        and any(a["newsfeed_id"] == feed_id for a in r["newsfeed_assignments"])
    ]
    return _page(ctx, items)


ROUTES = [
    ApiRoute("GET", "/help_center/help_centers", list_help_centers),
    ApiRoute("GET", "/help_center/help_centers/{id}", get_help_center),
    ApiRoute("GET", "/help_center/collections", list_collections),
    ApiRoute("GET", "/help_center/collections/{id}", get_collection),
    ApiRoute("GET", "/help_center/sections", list_sections),
    ApiRoute("GET", "/articles", list_articles),
    ApiRoute("GET", "/articles/search", search_articles, min_version=V210),
    ApiRoute("GET", "/articles/{id}", get_article),
    ApiRoute("GET", "/news/news_items", list_news_items),
    ApiRoute("GET", "/news/news_items/{id}", get_news_item),
    ApiRoute("GET", "/news/newsfeeds", list_newsfeeds),
    ApiRoute("GET", "/news/newsfeeds/{id}", get_newsfeed),
    ApiRoute("GET", "/news/newsfeeds/{id}/items", list_newsfeed_items),
]
