"""The true value of every analytics mart, computed in plain Python from the world's records.

This is the independent second implementation of the metric definitions documented once in
``analytics/models/marts/_metric_definitions.md``; the analytics tests build the dbt
models on an emulator sync and compare every mart to ``marts(world, held_part_ids)`` row by row.

The warehouse can only know the parts it has loaded: the API returns the newest 500 parts of a
conversation, so a conversation that already had more on its first sync never shows its oldest
parts. ``held_part_ids`` (the ids of the parts the warehouse holds — after one sync, the
``visible`` parts of ``truth_rows(world, "conversation_parts")``) makes the truth describe exactly what
the warehouse can know; ``None`` uses every part (the real answer).

Row shapes: timestamps are Unix seconds, days ``datetime.date``, ids strings, minutes floats
(``seconds / 60``), medians the average of the two middle values (``percentile_cont(0.5)``),
lists ``", "``-joined and sorted by value.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from emulator.world.records import ASSIGNMENT_PART_TYPES, CONTACT_AUTHOR_TYPES

if TYPE_CHECKING:
    from emulator.world import World

Row = dict[str, Any]


def metrics_truth(world: World, held_part_ids: Collection[str] | None = None) -> dict[str, Any]:
    """World-level summary counts plus every mart (``result["marts"][name][key] -> row``)."""
    return {**summary(world), "marts": marts(world, held_part_ids)}


def summary(world: World) -> dict[str, Any]:
    states: Counter[str] = Counter()
    part_types: Counter[str] = Counter()
    for c in world.conversations.values():
        states[c["state"]] += 1
        for p in c["conversation_parts"]["conversation_parts"]:
            part_types[p["part_type"]] += 1
    return {
        "contacts": len(world.contacts),
        "companies": len(world.companies),
        "conversations": len(world.conversations),
        "tickets": len(world.tickets),
        "conversations_by_state": dict(states),
        "conversation_parts_by_type": dict(part_types),
        "merged_contacts": len(world.merged_contacts),
        "deleted_conversations": len(world.deleted_conversations),
    }


# --- helpers ------------------------------------------------------------------------------


def minutes(start: int | None, end: int | None) -> float | None:
    return None if start is None or end is None else (end - start) / 60.0


def median(values: Iterable[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return statistics.median(present) if present else None


def average(values: Iterable[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def joined(values: Iterable[str]) -> str | None:
    items = sorted(values)
    return ", ".join(items) if items else None


def utc_day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()


def _ordered(parts: list[dict], held: Collection[str] | None) -> list[dict]:
    kept = parts if held is None else [p for p in parts if p["id"] in held]
    return sorted(kept, key=lambda p: (p["created_at"], int(p["id"])))


def _id_or_none(value: Any) -> str | None:
    return None if value in (None, 0, "0") else str(value)


# --- conversations ------------------------------------------------------------------------


def _part_events(part: dict, previous_state: str) -> dict[str, bool]:
    part_type, author = part["part_type"], part["author"]
    assigned_to = (part.get("assigned_to") or {}).get("type")
    state = part.get("state")
    return {
        "contact_reply": part_type == "comment" and author["type"] in CONTACT_AUTHOR_TYPES,
        "admin_response": author["type"] == "admin"
        and (
            part_type == "comment"
            or (part_type in ASSIGNMENT_PART_TYPES and (part.get("body") or "") != "")
        ),
        "assignment": part_type in ASSIGNMENT_PART_TYPES and assigned_to in ("admin", "team"),
        "close": part_type == "close",
        "reopen": state != "closed" and previous_state == "closed",
        "closing": state == "closed" and previous_state != "closed",
    }


def conversation_timeline(conversation: dict, held: Collection[str] | None) -> Row:
    """The per-conversation facts both conversation marts are built from."""
    parts = _ordered(conversation["conversation_parts"]["conversation_parts"], held)
    created = conversation["created_at"]
    times: dict[str, list[int]] = defaultdict(list)
    counts: Counter[str] = Counter()
    closers: list[dict] = []
    transitions: list[tuple[int, str]] = []  # (time, "closing" | "reopen")
    previous = "open"  # a conversation starts open
    for part in parts:
        events = _part_events(part, previous)
        for name, happened in events.items():
            if happened:
                counts[name] += 1
                times[name].append(part["created_at"])
        if events["close"]:
            closers.append(part["author"])
        for name in ("closing", "reopen"):
            if events[name]:
                transitions.append((part["created_at"], name))
        previous = part.get("state")

    def first(name: str) -> int | None:
        return times[name][0] if times[name] else None

    def last(name: str) -> int | None:
        return times[name][-1] if times[name] else None

    total = conversation["conversation_parts"].get("total_count")
    if total is None:
        total = conversation["statistics"]["count_conversation_parts"]
    return {
        "conversation_id": conversation["id"],
        "created_at": created,
        "count_parts_loaded": len(parts),
        "count_parts_total": total,
        "is_parts_truncated": len(parts) < total,
        "count_reopens": counts["reopen"],
        "count_assignments": counts["assignment"],
        "count_closes": counts["close"],
        "first_contact_reply_at": first("contact_reply"),
        "last_contact_reply_at": last("contact_reply"),
        "first_assignment_at": first("assignment"),
        "last_assignment_at": last("assignment"),
        "first_admin_response_at": first("admin_response"),
        "last_admin_response_at": last("admin_response"),
        "first_close_at": first("close"),
        "last_close_at": last("close"),
        "minutes_to_first_assignment": minutes(created, first("assignment")),
        "minutes_to_first_response": minutes(created, first("admin_response")),
        "minutes_to_first_close": minutes(created, first("close")),
        "minutes_to_last_close": minutes(created, last("close")),
        "first_closed_by_id": closers[0]["id"] if closers else None,
        "first_closed_by_type": closers[0]["type"] if closers else None,
        "last_closed_by_id": closers[-1]["id"] if closers else None,
        "last_closed_by_type": closers[-1]["type"] if closers else None,
        "_transitions": transitions,
        "_part_days": {utc_day(p["created_at"]) for p in parts},
    }


TIMELINE_ONLY = (
    "first_closed_by_id",
    "first_closed_by_type",
    "last_closed_by_id",
    "last_closed_by_type",
)


def _conversation_metrics(timelines: dict[str, Row]) -> dict[str, Row]:
    return {
        cid: {k: v for k, v in t.items() if not k.startswith("_") and k not in TIMELINE_ONLY}
        for cid, t in timelines.items()
    }


def _conversation_enhanced(
    world: World, timelines: dict[str, Row], companies_of_contact: dict[str, list[str]]
) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for c in world.conversations.values(with_parts=False):
        tags = [world.tags[t["id"]]["name"] for t in c["tags"]["tags"] if t["id"] in world.tags]
        contact_ids = [x["id"] for x in c["contacts"]["contacts"]]
        company_ids = {co for x in contact_ids for co in companies_of_contact.get(x, ())}
        company_names = [world.companies.get(co)["name"] for co in company_ids]
        admin_id = _id_or_none(c["admin_assignee_id"])
        team_id = _id_or_none(c["team_assignee_id"])
        rating = c.get("conversation_rating") or {}
        sla = c.get("sla_applied") or {}
        timeline = timelines[c["id"]]
        rows[c["id"]] = {
            "conversation_id": c["id"],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
            "state": c["state"],
            "is_open": c["open"],
            "priority": c["priority"],
            "source_type": (c.get("source") or {}).get("type"),
            "admin_assignee_id": admin_id,
            "admin_assignee_name": world.admins[admin_id]["name"]
            if admin_id in world.admins
            else None,
            "team_assignee_id": team_id,
            "team_assignee_name": world.teams[team_id]["name"] if team_id in world.teams else None,
            "count_tags": len(tags),
            "tag_names": joined(tags),
            "count_contacts": len(contact_ids),
            "contact_ids": joined(contact_ids),
            "count_companies": len(company_names),
            "company_names": joined(company_names),
            **{k: timeline[k] for k in TIMELINE_ONLY},
            "rating": rating.get("rating"),
            "rating_remark": rating.get("remark"),
            "rated_teammate_id": (rating.get("teammate") or {}).get("id"),
            "sla_name": sla.get("sla_name"),
            "sla_status": sla.get("sla_status"),
            "is_ai_agent_participated": c.get("ai_agent_participated"),
        }
    return rows


# --- people and teams ---------------------------------------------------------------------


def _closed_figures(rows: list[Row]) -> Row:
    """Figures shared by the admin/team/company marts over a set of conversations."""
    return {
        "count_reopens": sum(r["count_reopens"] for r in rows),
        "median_minutes_to_first_response": median(r["minutes_to_first_response"] for r in rows),
        "avg_minutes_to_first_response": average(r["minutes_to_first_response"] for r in rows),
        "count_rated_conversations": sum(1 for r in rows if r["rating"] is not None),
        "avg_rating": average(r["rating"] for r in rows),
    }


def _admin_metrics(world: World, joined_rows: dict[str, Row]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for admin_id, admin in world.admins.items():
        closed = [
            r
            for r in joined_rows.values()
            if r["state"] == "closed"
            and r["last_closed_by_type"] == "admin"
            and r["last_closed_by_id"] == admin_id
        ]
        rows[admin_id] = {
            "admin_id": admin_id,
            "admin_name": admin["name"],
            "count_assigned_conversations": sum(
                1 for r in joined_rows.values() if r["admin_assignee_id"] == admin_id
            ),
            "count_closed_conversations": len(closed),
            **_closed_figures(closed),
            "avg_reopens": average(r["count_reopens"] for r in closed),
            "avg_assignments": average(r["count_assignments"] for r in closed),
            "median_minutes_to_last_close": median(r["minutes_to_last_close"] for r in closed),
            "avg_minutes_to_last_close": average(r["minutes_to_last_close"] for r in closed),
        }
    return rows


def _group_figures(rows: list[Row]) -> Row:
    closed = [r for r in rows if r["state"] == "closed"]
    return {
        "count_conversations": len(rows),
        "count_closed_conversations": len(closed),
        **_closed_figures(rows),
        "median_minutes_to_last_close": median(r["minutes_to_last_close"] for r in closed),
    }


def _team_metrics(world: World, joined_rows: dict[str, Row]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for team_id, team in world.teams.items():
        mine = [r for r in joined_rows.values() if r["team_assignee_id"] == team_id]
        closed = [r for r in mine if r["state"] == "closed"]
        rows[team_id] = {
            "team_id": team_id,
            "team_name": team["name"],
            **_group_figures(mine),
            "avg_minutes_to_last_close": average(r["minutes_to_last_close"] for r in closed),
        }
    return rows


def _company_metrics(
    world: World, joined_rows: dict[str, Row], companies_of_contact: dict[str, list[str]]
) -> dict[str, Row]:
    conversations_of_company: dict[str, set[str]] = defaultdict(set)
    for c in world.conversations.values(with_parts=False):
        for contact in c["contacts"]["contacts"]:
            for company_id in companies_of_contact.get(contact["id"], ()):
                conversations_of_company[company_id].add(c["id"])
    contacts_per_company = Counter(co for cos in companies_of_contact.values() for co in cos)
    rows: dict[str, Row] = {}
    for company in world.companies.values():
        mine = [joined_rows[cid] for cid in conversations_of_company.get(company["id"], ())]
        rows[company["id"]] = {
            "company_id": company["id"],
            "company_name": company["name"],
            "count_contacts": contacts_per_company[company["id"]],
            **_group_figures(mine),
        }
    return rows


def _contact_enhanced(
    world: World, companies_of_contact: dict[str, list[str]], timelines: dict[str, Row]
) -> dict[str, Row]:
    conversations_of_contact: dict[str, list[int]] = defaultdict(list)
    for c in world.conversations.values(with_parts=False):
        for contact in c["contacts"]["contacts"]:
            conversations_of_contact[contact["id"]].append(c["created_at"])
    tickets_of_contact = Counter(
        x["id"] for t in world.tickets.values(with_parts=False) for x in t["contacts"]["contacts"]
    )
    rows: dict[str, Row] = {}
    for contact in world.contacts.values():
        company_names = [
            world.companies.get(co)["name"] for co in companies_of_contact.get(contact["id"], ())
        ]
        tags = [
            world.tags[t["id"]]["name"] for t in contact["tags"]["data"] if t["id"] in world.tags
        ]
        started = conversations_of_contact.get(contact["id"], [])
        rows[contact["id"]] = {
            "contact_id": contact["id"],
            "role": contact["role"],
            "contact_name": contact["name"],
            "email": contact["email"],
            "external_id": contact["external_id"],
            "created_at": contact["created_at"],
            "updated_at": contact["updated_at"],
            "count_companies": len(company_names),
            "company_names": joined(company_names),
            "count_tags": len(tags),
            "tag_names": joined(tags),
            "count_conversations": len(started),
            "last_conversation_at": max(started) if started else None,
            "count_tickets": tickets_of_contact[contact["id"]],
        }
    return rows


def _company_enhanced(world: World, companies_of_contact: dict[str, list[str]]) -> dict[str, Row]:
    contacts_per_company = Counter(co for cos in companies_of_contact.values() for co in cos)
    rows: dict[str, Row] = {}
    for company in world.companies.values():
        tags = [
            world.tags[t["id"]]["name"] for t in company["tags"]["tags"] if t["id"] in world.tags
        ]
        segments = [
            world.segments[s["id"]]["name"]
            for s in company["segments"]["segments"]
            if s["id"] in world.segments
        ]
        rows[company["id"]] = {
            "company_id": company["id"],
            "company_code": company["company_id"],
            "company_name": company["name"],
            "plan_name": (company.get("plan") or {}).get("name"),
            "industry": company.get("industry"),
            "company_size": company.get("size"),
            "monthly_spend": company.get("monthly_spend"),
            "user_count": company.get("user_count"),
            "created_at": company["created_at"],
            "updated_at": company["updated_at"],
            "count_contacts": contacts_per_company[company["id"]],
            "count_tags": len(tags),
            "tag_names": joined(tags),
            "count_segments": len(segments),
            "segment_names": joined(segments),
        }
    return rows


# --- tickets and days ---------------------------------------------------------------------


def _ticket_metrics(world: World, held: Collection[str] | None) -> dict[tuple[str, str], Row]:
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for ticket in world.tickets.values():
        parts = _ordered(ticket["ticket_parts"]["ticket_parts"], held)
        resolved = [
            p["created_at"]
            for p in parts
            if p["ticket_state"] == "resolved"
            and (p.get("previous_ticket_state") or "") != "resolved"
        ]
        key = (ticket["ticket_type"]["id"], ticket["ticket_state"]["category"])
        groups[key].append(
            {
                "name": ticket["ticket_type"]["name"],
                "resolutions": len(resolved),
                "first": minutes(ticket["created_at"], min(resolved)) if resolved else None,
                "last": minutes(ticket["created_at"], max(resolved)) if resolved else None,
            }
        )
    return {
        key: {
            "ticket_type_id": key[0],
            "ticket_type_name": max(t["name"] for t in tickets),
            "ticket_state_category": key[1],
            "count_tickets": len(tickets),
            "count_resolved_tickets": sum(1 for t in tickets if t["resolutions"]),
            "count_resolutions": sum(t["resolutions"] for t in tickets),
            "median_minutes_to_first_resolution": median(t["first"] for t in tickets),
            "avg_minutes_to_first_resolution": average(t["first"] for t in tickets),
            "median_minutes_to_last_resolution": median(t["last"] for t in tickets),
        }
        for key, tickets in groups.items()
    }


def _daily_volume(timelines: dict[str, Row]) -> dict[dt.date, Row]:
    created: Counter[dt.date] = Counter()
    moves: dict[str, Counter[dt.date]] = {"closing": Counter(), "reopen": Counter()}
    days: set[dt.date] = set()
    for t in timelines.values():
        day = utc_day(t["created_at"])
        created[day] += 1
        days.add(day)
        days |= t["_part_days"]
        for at, kind in t["_transitions"]:
            moves[kind][utc_day(at)] += 1
    rows: dict[dt.date, Row] = {}
    if not days:
        return rows
    backlog = 0
    day = min(days)
    while day <= max(days):
        backlog += created[day] - moves["closing"][day] + moves["reopen"][day]
        rows[day] = {
            "date_day": day,
            "conversations_created": created[day],
            "conversations_closed": moves["closing"][day],
            "conversations_reopened": moves["reopen"][day],
            "open_backlog": backlog,
        }
        day += dt.timedelta(days=1)
    return rows


# --- all marts ----------------------------------------------------------------------------


def marts(world: World, held_part_ids: Collection[str] | None = None) -> dict[str, dict]:
    """Every mart as ``{name: {key: row}}``; keys are the marts' grain (see their docs)."""
    companies_of_contact = {
        contact["id"]: [
            co["id"] for co in contact["companies"]["data"] if co["id"] in world.companies
        ]
        for contact in world.contacts.values()
    }
    timelines = {
        c["id"]: conversation_timeline(c, held_part_ids) for c in world.conversations.values()
    }
    metrics = _conversation_metrics(timelines)
    enhanced = _conversation_enhanced(world, timelines, companies_of_contact)
    joined_rows = {cid: {**metrics[cid], **enhanced[cid]} for cid in metrics}
    builders: dict[str, Callable[[], dict]] = {
        "conversation_metrics": lambda: metrics,
        "conversation_enhanced": lambda: enhanced,
        "admin_metrics": lambda: _admin_metrics(world, joined_rows),
        "team_metrics": lambda: _team_metrics(world, joined_rows),
        "company_metrics": lambda: _company_metrics(world, joined_rows, companies_of_contact),
        "contact_enhanced": lambda: _contact_enhanced(world, companies_of_contact, timelines),
        "company_enhanced": lambda: _company_enhanced(world, companies_of_contact),
        "ticket_metrics": lambda: _ticket_metrics(world, held_part_ids),
        "daily_conversation_volume": lambda: _daily_volume(timelines),
    }
    return {name: build() for name, build in builders.items()}
