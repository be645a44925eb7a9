"""The workspace's small content and settings lists (issue 21): away status reasons, brands,
office hours schedules (+ their exceptions), content snippets, internal articles, macros and
subscription types; ticket states live in ``world.ticket_states`` (generate.py) and gain new
ones here. The help center and news: emulator.world.publishing (called from here).

Canonical records are the 2.16 JSON of the list endpoints (``emulator.http.routes_content``
renders other versions). Macros keep their Unix ``updated_at`` under ``_updated_at`` (the API
sends ISO strings) for ordering and ``updated_since``.

Determinism: this module draws from random streams of its own (``<seed>:content`` at
generation, ``<seed>:content:<start>:<end>`` per ``advance`` span) and numbers its ids in
series of its own, so adding it changed no record of the other entities for a given seed,
and the activity stream (``world.rng``) replays exactly as before.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from emulator.world.audit import log_activity
from emulator.world.daily_changes import apply_daily_changes
from emulator.world.publishing import advance_publishing, generate_publishing

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
# kind -> first id of its series (numeric strings, as Intercom's are)
ID_STARTS = {
    "away_status_reasons": 3_100,
    "brands": 410,
    "office_hours_schedules": 52_000,
    "office_hours_exceptions": 610_000,
    "content_snippets": 88_000,
    "internal_articles": 6_870_000,
    "macros": 120_000,
    "subscription_types": 123_400,
}
KINDS = tuple(k for k in ID_STARTS if k != "office_hours_exceptions")
# records of each kind in a tiny world; bigger scales multiply (settings lists stay small)
BASE_COUNTS = {
    "away_status_reasons": 4,
    "brands": 2,
    "office_hours_schedules": 2,
    "content_snippets": 5,
    "internal_articles": 4,
    "macros": 7,
}  # subscription types: the scale's `subscription_types` knob (emulator.world.scales)
_SCALE_FACTOR = {"tiny": 1, "small": 2, "medium": 4, "large": 6}
# expected changes per simulated day, per kind of change
DAILY_CHANGES = {
    "away_status_reason_updated": 0.5,
    "brand_updated": 0.3,
    "office_hours_changed": 0.5,
    "office_hours_exception_added": 0.5,
    "content_snippet_updated": 1.0,
    "internal_article_updated": 1.0,
    "macro_created": 1.0,
    "macro_updated": 2.0,
    "subscription_type_changed": 0.3,
    "ticket_state_created": 0.3,
}

_AWAY = (("On a break", "☕"), ("In a meeting", "📅"), ("Out for lunch", "🥪"), ("Travelling", "✈️"))
_SNIPPETS = ("Refund policy", "Password reset", "Shipping times", "Pricing tiers", "SSO setup")
_MACROS = ("Order status update", "Escalate to billing", "Closing note", "Ask for logs", "Welcome")


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _new_id(world: World, kind: str) -> str:
    return str(world.next_number(f"content:{kind}", ID_STARTS[kind]))


def _admin_ids(world: World) -> list[str]:
    return sorted(world.admins)


def generate_content(world: World) -> None:
    """The content lists of a new world, created over its history (after every other entity:
    see the module docstring)."""
    rng = random.Random(f"{world.cfg.seed}:content")
    end = world.cfg.start_time
    begin = end - world.knobs["history_days"] * DAY
    factor = _SCALE_FACTOR.get(world.cfg.scale, 1)
    world.content = {kind: {} for kind in (*KINDS, "office_hours_exceptions")}
    for kind in KINDS:
        if kind == "subscription_types":
            count = world.knobs["subscription_types"]
        else:
            count = BASE_COUNTS[kind] * (1 if kind in ("brands", "away_status_reasons") else factor)
        for position in range(count):
            created = rng.randrange(begin, end - DAY)
            updated = created + int((end - created) * rng.random() ** 2)
            MAKERS[kind](world, rng, position, created, updated)
    generate_publishing(world)  # help center and news: a stream of their own


def _away_status_reason(world, rng, position, created, updated) -> dict:
    label, emoji = _AWAY[position % len(_AWAY)]
    record = {
        "type": "away_status_reason",
        "id": _new_id(world, "away_status_reasons"),
        "label": label if position < len(_AWAY) else f"{label} {position}",
        "emoji": emoji,
        "order": position + 1,
        "deleted": False,
        "created_at": created,
        "updated_at": updated,
    }
    return _put(world, "away_status_reasons", record)


def _brand(world, rng, position, created, updated) -> dict:
    record = {
        "type": "brand",
        "id": _new_id(world, "brands"),
        "name": "Default Brand" if position == 0 else f"Brand {position + 1}",
        "is_default": position == 0,
        "created_at": created,
        "updated_at": updated,
        "help_center_id": str(rng.randrange(10, 99)),
        "default_address_settings_id": str(rng.randrange(10, 99)),
    }
    return _put(world, "brands", record)


def _intervals(rng: random.Random) -> list[dict]:
    start, end = rng.choice(((480, 1020), (540, 1080), (600, 1140)))
    return [{"start_minute": start, "end_minute": end, "day_of_week": d} for d in range(5)]


def _office_hours_schedule(world, rng, position, created, updated) -> dict:
    record = {
        "type": "office_hours_schedule",
        "id": _new_id(world, "office_hours_schedules"),
        "name": "Standard support hours" if position == 0 else f"Team hours {position + 1}",
        "time_zone_name": rng.choice(("Europe/Dublin", "America/New_York", world.timezone)),
        "time_intervals": _intervals(rng),
        "twenty_four_seven": False,
        "created_at": created,
        "updated_at": updated,
    }
    _put(world, "office_hours_schedules", record)
    for _ in range(rng.randrange(1, 4)):
        _office_hours_exception(world, rng, record["id"], rng.randrange(created, updated + 1))
    return record


def _office_hours_exception(world, rng, schedule_id: str, at: int) -> dict:
    day = dt.datetime.fromtimestamp(at, dt.timezone.utc).date() + dt.timedelta(
        days=rng.randrange(1, 120)
    )
    closed = rng.random() < 0.6
    record = {
        "type": "office_hours_exception",
        "id": _new_id(world, "office_hours_exceptions"),
        "office_hours_schedule_id": schedule_id,
        "exception_date": day.isoformat(),
        "exception_type": "closed" if closed else "custom_hours",
        "name": rng.choice(("Public holiday", "Team offsite", "Company event")),
        "time_intervals": None
        if closed
        else [{"start_minute": 600, "end_minute": 900, "day_of_week": day.weekday()}],
        "recurring_annually": closed and rng.random() < 0.5,
        "created_at": at,
        "updated_at": at,
    }
    return _put(world, "office_hours_exceptions", record)


def _content_snippet(world, rng, position, created, updated) -> dict:
    title = _SNIPPETS[position % len(_SNIPPETS)]
    record = {
        "type": "content_snippet",
        "id": _new_id(world, "content_snippets"),
        "title": title if position < len(_SNIPPETS) else f"{title} ({position})",
        "locale": "en",
        "json_blocks": [{"type": "paragraph", "text": f"What to say about {title.lower()}."}],
        "body_markdown": f"# {title}\n\nWhat to say about {title.lower()}.",
        "chatbot_availability": 1,
        "copilot_availability": 1,
        "ai_chatbot_availability": rng.random() < 0.7,
        "ai_copilot_availability": True,
        "ai_sales_agent_availability": rng.random() < 0.3,
        "created_at": created,
        "updated_at": updated,
        "audience_ids": [rng.randrange(1000, 1010)] if rng.random() < 0.5 else [],
    }
    return _put(world, "content_snippets", record)


def _internal_article(world, rng, position, created, updated) -> dict:
    admins = _admin_ids(world)
    record = {
        "type": "internal_article",
        "id": _new_id(world, "internal_articles"),
        "title": f"Internal guide {position + 1}",
        "body": f"<p>How the team handles case {position + 1}.</p>",
        "body_markdown": f"How the team handles case {position + 1}.",
        "owner_id": int(rng.choice(admins)),
        "author_id": int(rng.choice(admins)),
        "created_at": created,
        "updated_at": updated,
        "locale": "en",
        "audience_ids": [],
        "ai_chatbot_availability": False,
        "ai_copilot_availability": True,
        "ai_sales_agent_availability": False,
    }
    return _put(world, "internal_articles", record)


def _macro(world, rng, position, created, updated) -> dict:
    name = _MACROS[position % len(_MACROS)]
    teams = sorted(world.teams)
    specific = bool(teams) and rng.random() < 0.4
    record = {
        "type": "macro",
        "id": _new_id(world, "macros"),
        "name": name if position < len(_MACROS) else f"{name} {position}",
        "body": f'<p>Hi <attribute key="user.name" default="there"/>, {name.lower()}.</p>',
        "body_text": f'Hi {{{{user.name|fallback:"there"}}}}, {name.lower()}.',
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "visible_to": "specific_teams" if specific else "everyone",
        "visible_to_team_ids": rng.sample(teams, 1) if specific else [],
        "available_on": rng.choice((["inbox"], ["inbox", "messenger"])),
        "_updated_at": updated,
    }
    return _put(world, "macros", record)


def _subscription_type(world, rng, position, created, updated) -> dict:
    name = ("Announcements", "Newsletter", "Product tips", "Surveys")[position % 4]
    translation = {"name": name, "description": f"{name} from the team", "locale": "en"}
    record = {
        "type": "subscription",
        "id": _new_id(world, "subscription_types"),
        "state": "live",
        "default_translation": translation,
        "translations": [translation],
        "consent_type": "opt_out" if position % 2 == 0 else "opt_in",
        "content_types": ["email"] if position % 3 else ["email", "sms_message"],
    }
    return _put(world, "subscription_types", record)


MAKERS = {
    "away_status_reasons": _away_status_reason,
    "brands": _brand,
    "office_hours_schedules": _office_hours_schedule,
    "content_snippets": _content_snippet,
    "internal_articles": _internal_article,
    "macros": _macro,
    "subscription_types": _subscription_type,
}


def _put(world: World, kind: str, record: dict) -> dict:
    world.content[kind][record["id"]] = record
    return record


# -- activity ----------------------------------------------------------------------------------
def advance_content(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    """Changes to the content lists over ``(start, end]``, counts by kind. Records are replaced,
    never edited in place (``World.clone`` shares them)."""
    if end <= start or intensity <= 0:
        return {}
    summary = apply_daily_changes(world, "content", start, end, intensity, DAILY_CHANGES, CHANGES)
    summary.update(advance_publishing(world, start, end, intensity))
    return summary


def _pick(world: World, rng: random.Random, kind: str) -> dict | None:
    records = world.content[kind]
    return records[rng.choice(sorted(records))] if records else None


def _replace(world: World, kind: str, record: dict, **changes: Any) -> bool:
    world.content[kind][record["id"]] = {**record, **changes}
    return True


def _away_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "away_status_reasons")
    if record is None:
        return False
    return _replace(world, "away_status_reasons", record, order=rng.randrange(1, 10), updated_at=at)


def _brand_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "brands")
    if record is None:
        return False
    name = f"{record['name'].split(' (')[0]} ({rng.randrange(100)})"
    return _replace(world, "brands", record, name=name, updated_at=at)


def _office_hours_changed(world, rng, at) -> bool:
    record = _pick(world, rng, "office_hours_schedules")
    if record is None:
        return False
    admin_id = _admin_ids(world)[int(record["id"]) % len(world.admins)]  # no draw
    log_activity(world, at, admin_id, "office_hours_change", "changed office hours")
    return _replace(
        world, "office_hours_schedules", record, time_intervals=_intervals(rng), updated_at=at
    )


def _exception_added(world, rng, at) -> bool:
    record = _pick(world, rng, "office_hours_schedules")
    if record is None:
        return False
    _office_hours_exception(world, rng, record["id"], at)
    return True


def _snippet_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "content_snippets")
    if record is None:
        return False
    markdown = f"{record['body_markdown'].split(' [rev')[0]} [rev {rng.randrange(1000)}]"
    return _replace(world, "content_snippets", record, body_markdown=markdown, updated_at=at)


def _internal_article_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "internal_articles")
    if record is None:
        return False
    title = f"{record['title'].split(' v')[0]} v{rng.randrange(2, 50)}"
    return _replace(world, "internal_articles", record, title=title, updated_at=at)


def _macro_created(world, rng, at) -> bool:
    _macro(world, rng, len(world.content["macros"]), at, at)
    return True


def _macro_updated(world, rng, at) -> bool:
    record = _pick(world, rng, "macros")
    if record is None:
        return False
    name = f"{record['name'].split(' #')[0]} #{rng.randrange(100)}"
    return _replace(world, "macros", record, name=name, updated_at=_iso(at), _updated_at=at)


def _subscription_type_changed(world, rng, at) -> bool:
    record = _pick(world, rng, "subscription_types")
    if record is None:
        return False
    state = rng.choice([s for s in ("live", "draft", "archived") if s != record["state"]])
    return _replace(world, "subscription_types", record, state=state)


def _ticket_state_created(world, rng, at) -> bool:
    # a new custom state, not used by any ticket type yet (ids: the ticket_state series)
    state_id = world.new_numeric_id("ticket_state")
    world.ticket_states[state_id] = {
        "type": "ticket_state",
        "id": state_id,
        "category": rng.choice(("in_progress", "waiting_on_customer")),
        "internal_label": f"Custom state {state_id}",
        "external_label": "In progress",
        "archived": False,
        "ticket_types": {"type": "list", "data": []},
    }
    return True


CHANGES = {
    "away_status_reason_updated": _away_updated,
    "brand_updated": _brand_updated,
    "office_hours_changed": _office_hours_changed,
    "office_hours_exception_added": _exception_added,
    "content_snippet_updated": _snippet_updated,
    "internal_article_updated": _internal_article_updated,
    "macro_created": _macro_created,
    "macro_updated": _macro_updated,
    "subscription_type_changed": _subscription_type_changed,
    "ticket_state_created": _ticket_state_created,
}
