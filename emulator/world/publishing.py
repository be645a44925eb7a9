"""The help center and news of a world (issue 21): help centers, collections (top-level and
nested: 2.9 serves the nested ones as `sections`), articles with translations and statistics,
newsfeeds and news items. Kept in ``world.content`` beside the settings lists
(emulator.world.content), canonical in 2.16 terms; ``emulator.http.routes_publishing``
renders each version.

Determinism as in emulator.world.content: random streams of its own (``<seed>:publishing``,
``<seed>:publishing:<start>:<end>``) and id series of its own.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
ID_STARTS = {
    "help_centers": 2_000,
    "help_center_collections": 3_300_000,
    "articles": 8_100_000,
    "newsfeeds": 190,
    "news_items": 27_000,
}
KINDS = tuple(ID_STARTS)
_SCALE_FACTOR = {"tiny": 1, "small": 3, "medium": 8, "large": 12}
LOCALES = ("en", "fr", "de")
DAILY_CHANGES = {
    "article_updated": 1.5,
    "article_created": 0.5,
    "article_viewed": 6.0,  # statistics change, `updated_at` does not
    "collection_updated": 0.3,
    "news_item_published": 0.5,
    "news_item_updated": 0.5,
}
_TOPICS = ("Getting started", "Billing", "Integrations", "Security", "Troubleshooting")


def _new_id(world: World, kind: str) -> str:
    return str(world.next_number(f"publishing:{kind}", ID_STARTS[kind]))


def _put(world: World, kind: str, record: dict) -> dict:
    world.content[kind][record["id"]] = record
    return record


def _workspace(world: World) -> str:
    return world.app["id_code"]


def generate_publishing(world: World) -> None:
    rng = random.Random(f"{world.cfg.seed}:publishing")
    end = world.cfg.start_time
    begin = end - world.knobs["history_days"] * DAY
    factor = _SCALE_FACTOR.get(world.cfg.scale, 1)
    for kind in KINDS:
        world.content[kind] = {}
    centers = [_help_center(world, rng, i, begin) for i in range(2)]
    tops = []
    for i in range(3 * factor):
        tops.append(_collection(world, rng, i, centers[i % 2]["id"], None, begin, end))
    for i in range(3 * factor):
        parent = tops[i % len(tops)]
        _collection(world, rng, i, parent["help_center_id"], parent["id"], begin, end)
    for i in range(8 * factor):
        created = rng.randrange(begin, end - DAY)
        _article(world, rng, i, created, created + int((end - created) * rng.random() ** 2))
    feeds = [_newsfeed(world, rng, name, begin) for name in ("Product updates", "Team news")]
    for i in range(4 * factor):
        created = rng.randrange(begin, end - DAY)
        _news_item(world, rng, i, feeds, created, created + int((end - created) * rng.random()))


def _help_center(world, rng, position: int, at: int) -> dict:
    identifier = "help" if position == 0 else f"help-{position + 1}"
    return _put(
        world,
        "help_centers",
        {
            "id": _new_id(world, "help_centers"),
            "workspace_id": _workspace(world),
            "created_at": at,
            "updated_at": at + rng.randrange(DAY, 20 * DAY),
            "identifier": identifier,
            "website_turned_on": position == 0,
            "display_name": "Help Center" if position == 0 else f"Partner Help {position + 1}",
            "url": f"https://intercom.help/{identifier}",
            "custom_domain": "help.example.com" if position == 0 else None,
            "default": position == 0,
            "locales": list(LOCALES[: 2 + position % 2]),
        },
    )


def _group_translations(name: str, description: str) -> dict:
    content: dict[str, Any] = {"type": "group_translated_content"}
    for locale in LOCALES[:2]:
        suffix = "" if locale == "en" else f" ({locale})"
        content[locale] = {
            "type": "group_content",
            "name": name + suffix,
            "description": description + suffix,
        }
    return content


def _collection(world, rng, position, help_center_id, parent_id, begin, end) -> dict:
    name = _TOPICS[position % len(_TOPICS)] + ("" if parent_id is None else " — details")
    collection_id = _new_id(world, "help_center_collections")
    created = rng.randrange(begin, end - 2 * DAY)
    return _put(
        world,
        "help_center_collections",
        {
            "id": collection_id,
            "workspace_id": _workspace(world),
            "name": name,
            "description": f"About {name.lower()}",
            "created_at": created,
            "updated_at": created + rng.randrange(0, DAY),
            "url": f"https://intercom.help/help/en/collections/{collection_id}",
            "icon": rng.choice(("book-bookmark", "chat-bubbles", "shield")),
            "order": position + 1,
            "default_locale": "en",
            "translated_content": _group_translations(name, f"About {name.lower()}"),
            "parent_id": parent_id,
            "help_center_id": int(help_center_id),
            "type": "collection",
        },
    )


def _article_translations(record: dict) -> dict:
    content: dict[str, Any] = {"type": "article_translated_content"}
    for locale in LOCALES[: record["_locales"]]:
        suffix = "" if locale == "en" else f" ({locale})"
        content[locale] = {
            "type": "article_content",
            "title": record["title"] + suffix,
            "description": record["description"] + suffix,
            "body": record["body"],
            "author_id": record["author_id"],
            "state": record["state"],
            "created_at": record["created_at"],
            "updated_at": record["updated_at"],
            "url": f"{record['url']}-{locale}",
        }
    return content


def _article(world, rng, position, created, updated) -> dict:
    article_id = _new_id(world, "articles")
    collections = sorted(world.content["help_center_collections"])
    parent = rng.choice(collections)
    author = int(rng.choice(sorted(world.admins)))
    tags = sorted(world.tags)
    title = f"{_TOPICS[position % len(_TOPICS)]}: how to {position + 1}"
    record: dict[str, Any] = {
        "type": "article",
        "id": article_id,
        "workspace_id": _workspace(world),
        "title": title,
        "description": f"Short answer number {position + 1}",
        "body": f"<p>Step by step, case {position + 1}.</p>",
        "body_markdown": f"Step by step, case {position + 1}.",
        "author_id": author,
        "state": "published" if rng.random() < 0.8 else "draft",
        "created_at": created,
        "updated_at": updated,
        "has_unpublished_changes": False,
        "draft_updated_at": None,
        "url": f"https://intercom.help/help/en/articles/{article_id}",
        "parent_ids": [int(parent)],
        "ai_chatbot_availability": True,
        "ai_copilot_availability": True,
        "ai_sales_agent_availability": False,
        "created_by_id": author,
        "updated_by_id": author,
        "exclude_from_article_suggestions": False,
        "help_center_audience": None,
        "scheduled_publish_at": None,
        "scheduled_unpublish_at": None,
        "default_locale": "en",
        "tags": {
            "type": "tag.list",
            "tags": [
                {"type": "tag", "id": t, "name": world.tags[t]["name"]}
                for t in rng.sample(tags, min(len(tags), rng.randrange(0, 3)))
            ],
        },
        "statistics": _statistics(rng.randrange(0, 500), rng),
        "_locales": rng.choice((1, 2, 3)),
    }
    record["translated_content"] = _article_translations(record)
    return _put(world, "articles", record)


def _statistics(views: int, rng: random.Random) -> dict:
    reactions = views // 10
    happy = round(rng.random() * 100, 1) if reactions else 0.0
    return {
        "type": "article_statistics",
        "views": views,
        "conversions": views // 25,
        "reactions": reactions,
        "happy_reaction_percentage": happy,
        "neutral_reaction_percentage": round((100 - happy) / 2, 1) if reactions else 0.0,
        "sad_reaction_percentage": round((100 - happy) / 2, 1) if reactions else 0.0,
        "fin_involvements": views // 8,
        "fin_resolutions": views // 16,
        "fin_resolution_rate": 50.0 if views >= 16 else 0.0,
    }


def _newsfeed(world, rng, name: str, at: int) -> dict:
    return _put(
        world,
        "newsfeeds",
        {
            "id": _new_id(world, "newsfeeds"),
            "type": "newsfeed",
            "name": name,
            "created_at": at,
            "updated_at": at + rng.randrange(0, 5 * DAY),
        },
    )


def _news_item(world, rng, position, feeds: list[dict], created, updated) -> dict:
    live = rng.random() < 0.75
    chosen = rng.sample(feeds, rng.choice((1, 1, 2)))
    return _put(
        world,
        "news_items",
        {
            "type": "news-item",
            "id": _new_id(world, "news_items"),
            "workspace_id": _workspace(world),
            "title": f"What's new #{position + 1}",
            "body": f"<p>Release notes {position + 1}.</p>",
            "sender_id": int(rng.choice(sorted(world.admins))),
            "state": "live" if live else "draft",
            "newsfeed_assignments": [
                {"newsfeed_id": int(f["id"]), **({"published_at": updated} if live else {})}
                for f in chosen
            ],
            "labels": rng.sample(["New", "Improvement", "Fix", "Beta"], rng.randrange(0, 3)),
            "cover_image_url": None,
            "reactions": ["😍", "🙌"] if rng.random() < 0.5 else [],
            "deliver_silently": rng.random() < 0.2,
            "created_at": created,
            "updated_at": updated,
        },
    )


# -- activity ----------------------------------------------------------------------------------
def advance_publishing(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    if end <= start or intensity <= 0 or "articles" not in world.content:
        return {}
    return apply_daily_changes(world, "publishing", start, end, intensity, DAILY_CHANGES, CHANGES)


def _pick(world: World, rng: random.Random, kind: str) -> dict | None:
    records = world.content[kind]
    return records[rng.choice(sorted(records))] if records else None


def _article_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "articles")
    if record is None:
        return False
    changed = {
        **record,
        "title": f"{record['title'].split(' (rev')[0]} (rev {rng.randrange(2, 99)})",
        "updated_at": at,
        "state": "published",
        "_locales": min(3, record["_locales"] + (rng.random() < 0.3)),
    }
    changed["translated_content"] = _article_translations(changed)
    world.content["articles"][record["id"]] = changed
    return True


def _article_created(world, rng, at) -> bool:
    _article(world, rng, len(world.content["articles"]), at, at)
    return True


def _article_viewed(world, rng, at) -> bool:
    record = _pick(world, rng, "articles")
    if record is None:
        return False
    views = record["statistics"]["views"] + rng.randrange(1, 40)
    world.content["articles"][record["id"]] = {**record, "statistics": _statistics(views, rng)}
    return True


def _collection_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "help_center_collections")
    if record is None:
        return False
    description = f"About {record['name'].lower()}, revised {rng.randrange(100)}"
    world.content["help_center_collections"][record["id"]] = {
        **record,
        "description": description,
        "translated_content": _group_translations(record["name"], description),
        "updated_at": at,
    }
    return True


def _news_item_published(world, rng, at) -> bool:
    feeds = list(world.content["newsfeeds"].values())
    _news_item(world, rng, len(world.content["news_items"]), feeds, at, at)
    return True


def _news_item_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "news_items")
    if record is None:
        return False
    world.content["news_items"][record["id"]] = {
        **record,
        "title": f"{record['title'].split(' (')[0]} (edited)",
        "updated_at": at,
    }
    return True


CHANGES = {
    "article_updated": _article_updated,
    "article_created": _article_created,
    "article_viewed": _article_viewed,
    "collection_updated": _collection_updated,
    "news_item_published": _news_item_published,
    "news_item_updated": _news_item_updated,
}
