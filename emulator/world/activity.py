"""Simulated workspace activity: ``World.advance`` and ``World.touch``.

``simulate(world, seconds, intensity)`` draws events over ``(now, now + seconds]`` and applies
them in time order; afterwards ``world.now = now + seconds``. All randomness comes from
``world.rng``, so the same config and the same sequence of calls replay identically.

How many events: for each kind in ``emulator.world.scales.DAILY_RATES`` (fraction of the current
population per day, with a per-day floor so tiny worlds see every kind within a day)
``expected = max(fraction * population, floor) * seconds / 86400 * intensity``; the integer part
always happens, the fractional part with that probability.

Kinds (the keys of the returned summary; a key is present only when it happened):
    contact_created, contact_updated, contact_updated_twice (two updates of one contact, half of
    the time within the same second), contact_bulk_update (many contacts at one second),
    contact_converted (a lead becomes a user: role, external_id, signed_up_at change),
    contact_tag_changed, contact_company_changed, contact_note_added, contact_merged (a lead into
    a user; see emulator.world.ops.merge_contacts), company_created, company_updated,
    company_tag_changed, conversation_created, conversation_part_added (any part type; state and
    statistics re-derived), conversation_bulk_close (one admin closes many open conversations
    within one second), conversation_part_redacted (body removed, part ``updated_at``
    bumped), conversation_tag_changed, conversation_rated,
    conversation_deleted, ticket_created (40% linked to an earlier conversation of the contact,
    both records' ``linked_objects``), ticket_state_changed, ticket_part_added,
    timer_unsnooze (a snooze ending inside the span; overdue ones fire at ``now + 1``),
    tag_created, admin_created (joins a team: the team's admin_ids change), segment_updated.
``intensity=0`` moves only the clock (not even snooze timers fire; overdue ones fire on the
next advance with activity). About 10% of events land on a local-midnight second (-1/0/+1) of the workspace timezone when
the span contains one. Each summary also has ``records_changed`` (distinct (entity, id)).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import zoneinfo
from collections import Counter
from typing import TYPE_CHECKING, Any

from emulator.world import factory, ops
from emulator.world import records as r
from emulator.world.audit import advance_activity_logs, log_activity
from emulator.world.calls import advance_calls
from emulator.world.company_notes import advance_company_notes
from emulator.world.consents import advance_consents
from emulator.world.content import advance_content
from emulator.world.scales import DAILY_RATES
from emulator.world.segment_members import advance_segment_members

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400

_POPULATION = {
    "contact": "contacts",
    "company": "companies",
    "conversation": "conversations",
    "ticket": "tickets",
    "tag": "tags",
    "admin": "admins",
    "segment": "segments",
}


def advance(world: World, seconds: int, intensity: float = 1.0) -> dict[str, int]:
    """Simulate workspace activity over ``seconds``; returns counts by kind of change."""
    with world.lock:
        return simulate(world, int(seconds), float(intensity))


def touch(world: World, k: int) -> list[tuple[str, str]]:
    """Change ``k`` random records at ``now``; returns (entity, id) pairs changed."""
    with world.lock:
        return _touch(world, int(k))


def simulate(world: World, seconds: int, intensity: float) -> dict[str, int]:
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    rng = world.rng
    start = world.now
    end = start + seconds
    events: list[tuple[int, int, str, Any]] = []
    sequence = 0
    boundaries = _local_midnights(world.timezone, start, end) if seconds else []
    if seconds:
        for kind, (fraction, floor) in DAILY_RATES.items():
            population = len(getattr(world, _POPULATION[kind.split("_")[0]]))
            expected = max(fraction * population, floor) * seconds / DAY * intensity
            count = int(expected) + (rng.random() < expected - int(expected))
            for _ in range(count):
                at = start + 1 + rng.randrange(seconds)
                if boundaries and rng.random() < 0.1:
                    at = rng.choice(boundaries)
                events.append((at, sequence, kind, None))
                sequence += 1
    for conversation_id, until in list(world._snoozed.items()) if intensity > 0 else ():
        if until <= end:
            events.append((max(until, start + 1), sequence, "timer_unsnooze", conversation_id))
            sequence += 1
    heapq.heapify(events)

    summary: Counter[str] = Counter()
    changed: set[tuple[str, str]] = set()
    while events:
        at, _, kind, payload = heapq.heappop(events)
        result = HANDLERS[kind](world, rng, at, payload)
        if result:
            summary[kind] += 1
            changed.update(result)
        if kind == "conversation_part_added":
            for conversation_id, until in _new_snoozes(world, result):
                if until <= end:
                    heapq.heappush(events, (until, sequence, "timer_unsnooze", conversation_id))
                    sequence += 1
    summary.update(advance_content(world, start, end, intensity))  # a stream of its own
    summary.update(advance_company_notes(world, start, end, intensity))  # one more
    summary.update(advance_segment_members(world, start, end, intensity))  # and one more
    summary.update(advance_activity_logs(world, start, end, intensity))  # and one more
    summary.update(advance_calls(world, start, end, intensity))  # and another
    summary.update(advance_consents(world, start, end, intensity))  # and consents
    world.now = end
    out = dict(sorted(summary.items()))
    out["records_changed"] = len(changed)
    return out


def _new_snoozes(world: World, result) -> list[tuple[str, int]]:
    found = []
    for entity, id in result or ():
        if entity == "conversations" and id in world._snoozed:
            found.append((id, world._snoozed[id]))
    return found


def _local_midnights(timezone: str, start: int, end: int) -> list[int]:
    """Seconds (midnight - 1, midnight, midnight + 1) of local days within (start, end]."""
    zone = zoneinfo.ZoneInfo(timezone)
    day = dt.datetime.fromtimestamp(start, zone).date()
    found = []
    while True:
        midnight = int(dt.datetime.combine(day, dt.time(), zone).timestamp())
        if midnight - 1 > end:
            break
        found.extend(s for s in (midnight - 1, midnight, midnight + 1) if start < s <= end)
        day += dt.timedelta(days=1)
    return found


# -- helpers -----------------------------------------------------------------------------------
def pick_lead_and_user(world: World, rng: random.Random, tries: int = 200):
    lead = user = None
    for _ in range(tries):
        id = world.contacts.random_id(rng)
        if id is None:
            return None
        role = world.contacts.get(id)["role"]
        if role == "lead" and lead is None:
            lead = id
        elif role == "user" and user is None:
            user = id
        if lead and user:
            return lead, user
    return None


def _admin(world: World, rng: random.Random) -> str:
    return rng.choice(world._admin_ids)


# -- contacts ----------------------------------------------------------------------------------
def contact_created(world, rng, at, _):
    role = "lead" if rng.random() < 0.4 else "user"
    contact = factory.build_contact(world, rng, at, role)
    for key in (
        "last_seen_at",
        "last_email_opened_at",
        "last_email_clicked_at",
        "android_last_seen_at",
        "ios_last_seen_at",
    ):
        if contact[key] is not None:
            contact[key] = at
    touched = [("contacts", contact["id"])]
    company_id = world.companies.random_id(rng) if role == "user" and rng.random() < 0.6 else None
    if company_id:
        ops.link_company_items(contact, company_id)
    if rng.random() < 0.3:
        ops.tag_record_items(contact, rng.choice(list(world.tags)), at, _admin(world, rng))
    ops.add_contact(world, contact)
    if company_id:
        ops.refresh_user_count(world, company_id, at)
        touched.append(("companies", company_id))
    return touched


def _update_contact_fields(world, rng, contact_id: str, at: int) -> None:
    contact = ops.editable(world.contacts, contact_id)
    field = rng.choice(("name", "last_seen_at", "custom", "custom", "phone", "unsubscribe"))
    if field == "name":
        contact["name"] = r.person_name(rng)
    elif field == "last_seen_at":
        contact["last_seen_at"] = at
        contact["browser"] = rng.choice(r.BROWSERS)[0]
    elif field == "custom":
        name, data_type, _l, _d, options = rng.choice(r.CONTACT_CUSTOM_ATTRIBUTES)
        contact["custom_attributes"][name] = r.custom_value(rng, data_type, options, at)
    elif field == "phone":
        contact["phone"] = None if contact["phone"] else f"+1 555 {rng.randrange(10000):04d}"
    else:
        contact["unsubscribed_from_emails"] = not contact["unsubscribed_from_emails"]
    ops.save(world.contacts, contact, at)


def contact_updated(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    _update_contact_fields(world, rng, contact_id, at)
    return [("contacts", contact_id)]


def contact_updated_twice(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    _update_contact_fields(world, rng, contact_id, at)
    _update_contact_fields(world, rng, contact_id, at if rng.random() < 0.5 else at + 1)
    return [("contacts", contact_id)]


def contact_bulk_update(world, rng, at, _):
    """An import or bulk action: many contacts changed within the same second."""
    size = max(3, min(500, len(world.contacts) // 200))
    touched = []
    for _ in range(size):
        contact_id = world.contacts.random_id(rng)
        if contact_id is None:
            break
        contact = ops.editable(world.contacts, contact_id)
        contact["custom_attributes"]["plan_tier"] = rng.choice(("free", "pro", "enterprise"))
        ops.save(world.contacts, contact, at)
        touched.append(("contacts", contact_id))
    return touched


def contact_converted(world, rng, at, _):
    """A lead signs up: role becomes user, external_id and signed_up_at get set."""
    for _ in range(50):
        contact_id = world.contacts.random_id(rng)
        if contact_id is None:
            return None
        if world.contacts.get_head(contact_id)["role"] == "lead":
            break
    else:
        return None
    contact = ops.editable(world.contacts, contact_id)
    contact["role"] = "user"
    contact["external_id"] = f"user-{world.next_number('contact_index', 0)}"
    contact["signed_up_at"] = at
    ops.save(world.contacts, contact, at)
    return [("contacts", contact_id)]


def contact_tag_changed(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    contact = world.contacts.get(contact_id)
    current = [item["id"] for item in contact["tags"]["data"]]
    if current and rng.random() < 0.4:
        ops.set_contact_tag(world, contact_id, rng.choice(current), at, add=False)
    else:
        ops.set_contact_tag(world, contact_id, rng.choice(list(world.tags)), at, add=True)
    return [("contacts", contact_id)]


def contact_company_changed(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    company_id = world.companies.random_id(rng)
    if contact_id is None or company_id is None:
        return None
    current = [item["id"] for item in world.contacts.get(contact_id)["companies"]["data"]]
    if current and rng.random() < 0.4:
        company_id = rng.choice(current)
        ops.set_contact_company(world, contact_id, company_id, at, add=False)
    else:
        ops.set_contact_company(world, contact_id, company_id, at, add=True)
    return [("contacts", contact_id), ("companies", company_id)]


def contact_note_added(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    ops.add_note(world, contact_id, at, _admin(world, rng), f"<p>{rng.choice(r.SENTENCES)}</p>")
    return [("contacts", contact_id)]


def contact_merged(world, rng, at, _):
    pair = pick_lead_and_user(world, rng)
    if pair is None:
        return None
    lead_id, user_id = pair
    moved = world.conversation_ids_of_contact(lead_id)
    tickets = world.ticket_ids_of_contact(lead_id)
    ops.merge_contacts(world, lead_id, user_id, at)
    return (
        [("contacts", lead_id), ("contacts", user_id)]
        + [("conversations", c) for c in moved]
        + [("tickets", t) for t in tickets]
    )


# -- companies ---------------------------------------------------------------------------------
def company_created(world, rng, at, _):
    company = factory.build_company(world, rng, at)
    world.companies.put(company)
    return [("companies", company["id"])]


def company_updated(world, rng, at, _):
    company_id = world.companies.random_id(rng)
    if company_id is None:
        return None
    company = ops.editable(world.companies, company_id)
    choice = rng.random()
    if choice < 0.4:
        company["session_count"] += rng.randrange(1, 20)
        company["last_request_at"] = at
    elif choice < 0.7:
        name, data_type, _l, _d, options = rng.choice(r.COMPANY_CUSTOM_ATTRIBUTES)
        company["custom_attributes"][name] = r.custom_value(rng, data_type, options, at)
    else:
        plan_id, plan_name = rng.choice(r.PLANS)
        company["plan"] = {"type": "plan", "id": plan_id, "name": plan_name}
        company["monthly_spend"] = rng.choice((0, 49, 99, 499, 2500, 10000))
    ops.save(world.companies, company, at)
    return [("companies", company_id)]


def company_tag_changed(world, rng, at, _):
    company_id = world.companies.random_id(rng)
    if company_id is None:
        return None
    company = ops.editable(world.companies, company_id)
    tags = company["tags"]["tags"]
    if tags and rng.random() < 0.4:
        tags.pop(rng.randrange(len(tags)))
    else:
        tag_id = rng.choice(list(world.tags))
        if all(t["id"] != tag_id for t in tags):
            tags.append(r.tag_basic(world.tags[tag_id]))
    ops.save(world.companies, company, at)
    return [("companies", company_id)]


# -- conversations -----------------------------------------------------------------------------
def conversation_created(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    contacts = [world.contacts.get(contact_id)]
    conversation = factory.build_conversation(world, rng, at, contacts)
    ops.add_conversation(world, conversation)
    return [("conversations", conversation["id"]), *_contact_times(world, conversation, None)]


def _contact_times(world, conversation: dict, parts: list[dict] | None) -> list[tuple[str, str]]:
    """Carry a new message over to its contacts' last_replied_at / last_contacted_at."""
    found = ops.conversation_contact_times(conversation, parts)
    for contact_id, (replied, contacted) in found.items():
        ops.bump_contact_times(world, contact_id, replied, contacted)
    return [("contacts", contact_id) for contact_id in found]


def _conversation_contacts(world, conversation: dict) -> list[dict]:
    found = [world.contacts.get(ref["id"]) for ref in conversation["contacts"]["contacts"]]
    return [c for c in found if c is not None]


def conversation_part_added(world, rng, at, _):
    # Most activity happens in conversations that are still open; some closed ones come back;
    # the very long ones stay busy so their newest-500 window keeps moving.
    conversation_id = None
    roll = rng.random()
    if roll < 0.05:
        conversation_id = world._long_conversations.pick(rng)
    elif roll < 0.75:
        conversation_id = world._open_conversations.pick(rng)
    conversation_id = conversation_id or world.conversations.random_id(rng)
    if conversation_id is None:
        return None
    conversation = ops.editable(world.conversations, conversation_id)
    part = factory.next_conversation_part(
        world, rng, conversation, at, _conversation_contacts(world, conversation)
    )
    ops.append_parts(world, conversation, [part], at)
    return [("conversations", conversation_id), *_contact_times(world, conversation, [part])]


def conversation_bulk_close(world, rng, at, _):
    """An admin bulk-closes open conversations: many conversations share one second."""
    open_ids = world._open_conversations
    size = min(200, max(5, len(open_ids) // 10), len(open_ids))
    admin = world.admins[_admin(world, rng)]
    chosen: dict[str, None] = {}
    for _ in range(size * 3):
        if len(chosen) >= size:
            break
        conversation_id = open_ids.pick(rng)
        if conversation_id is not None:
            chosen[conversation_id] = None
    for conversation_id in chosen:
        conversation = ops.editable(world.conversations, conversation_id)
        part = r.conversation_part(
            id=world.new_numeric_id("part"),
            part_type="close",
            author=r.admin_author(admin),
            created_at=at,
        )
        ops.append_parts(world, conversation, [part], at)
    return [("conversations", c) for c in chosen]


def conversation_part_redacted(world, rng, at, _):
    conversation_id = world.conversations.random_id(rng)
    if conversation_id is None:
        return None
    parts = world.conversations.get(conversation_id)["conversation_parts"]["conversation_parts"]
    comments = [p["id"] for p in parts if p["part_type"] == "comment" and not p["redacted"]]
    if not comments:
        return None
    part_id = r.pick(rng, comments)
    ops.redact_part(world, conversation_id, part_id, at)
    admin_id = world._admin_ids[int(part_id) % len(world._admin_ids)]  # no draw: same stream
    log_activity(world, at, admin_id, "conversation_part_deletion", "deleted a conversation part")
    return [("conversations", conversation_id)]


def timer_unsnooze(world, rng, at, conversation_id):
    until = world._snoozed.get(conversation_id)
    if until is None or until > at or conversation_id not in world.conversations:
        return None  # already unsnoozed (maybe snoozed again since), or deleted
    conversation = ops.editable(world.conversations, conversation_id)
    part = r.conversation_part(
        id=world.new_numeric_id("part"),
        part_type="timer_unsnooze",
        author=dict(factory.BOTS[0]),
        created_at=at,
    )
    ops.append_parts(world, conversation, [part], at)
    return [("conversations", conversation_id)]


def conversation_tag_changed(world, rng, at, _):
    conversation_id = world.conversations.random_id(rng)
    if conversation_id is None:
        return None
    ops.set_conversation_tag(world, conversation_id, rng.choice(list(world.tags)), at)
    return [("conversations", conversation_id)]


def conversation_rated(world, rng, at, _):
    conversation_id = world.conversations.random_id(rng)
    if conversation_id is None:
        return None
    conversation = ops.editable(world.conversations, conversation_id)
    contacts = _conversation_contacts(world, conversation)
    if not contacts:
        return None
    previous = conversation["conversation_rating"]
    conversation["conversation_rating"] = {
        "rating": rng.randrange(1, 6),
        "remark": rng.choice(r.REMARKS) if rng.random() < 0.6 else None,
        "created_at": previous["created_at"] if previous else at,
        "updated_at": at,
        "contact": r.contact_reference(contacts[0]),
        "teammate": {
            "type": "admin",
            "id": str(conversation["admin_assignee_id"] or _admin(world, rng)),
        },
    }
    part = r.conversation_part(
        id=world.new_numeric_id("part"),
        part_type="conversation_rating_changed",
        author=r.contact_author(contacts[0]),
        created_at=at,
    )
    ops.append_parts(world, conversation, [part], at)
    return [("conversations", conversation_id)]


def conversation_deleted(world, rng, at, _):
    if len(world.conversations) < 2:
        return None
    conversation_id = world.conversations.random_id(rng)
    ops.delete_conversation(world, conversation_id, at, metrics_retained=rng.random() < 0.5)
    return [("conversations", conversation_id)]


# -- tickets -----------------------------------------------------------------------------------
def ticket_created(world, rng, at, _):
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return None
    ticket = factory.build_ticket(world, rng, at, [world.contacts.get(contact_id)])
    linked = ops.link_ticket_to_conversation(world, ticket, at) if rng.random() < 0.4 else None
    ops.add_ticket(world, ticket)
    return [("tickets", ticket["id"])] + ([("conversations", linked)] if linked else [])


def _ticket_part(world, rng, at, change_state: bool):
    ticket_id = world.tickets.random_id(rng)
    if ticket_id is None:
        return None
    ticket = ops.editable(world.tickets, ticket_id)
    part = factory.next_ticket_part(world, rng, ticket, at, change_state=change_state)
    ops.append_ticket_parts(world, ticket, [part], at)
    return [("tickets", ticket_id)]


def ticket_state_changed(world, rng, at, _):
    return _ticket_part(world, rng, at, change_state=True)


def ticket_part_added(world, rng, at, _):
    return _ticket_part(world, rng, at, change_state=False)


# -- lookups (full-refresh tables) -------------------------------------------------------------
def tag_created(world, rng, at, _):
    tag_id = world.new_numeric_id("tag")
    world.tags[tag_id] = {
        "type": "tag",
        "id": tag_id,
        "name": f"{r.pick(rng, r.TAG_NAMES)} {len(world.tags)}",
        "applied_at": None,
        "applied_by": None,
    }
    return [("tags", tag_id)]


def admin_created(world, rng, at, _):
    admin_id = world.new_numeric_id("admin")
    team_id = r.pick(rng, world._team_ids)
    name = r.person_name(rng)
    world.admins[admin_id] = r.admin_record(
        admin_id,
        name,
        f"{r.slug(name, len(world.admins))}@support.example.com",
        job_title=r.pick(rng, r.ADMIN_JOBS),
        away_mode_enabled=False,
        away_mode_reassign=False,
        has_inbox_seat=True,
        team_ids=[int(team_id)],
        avatar=None,
        primary_team_ids=None,
        role=None,
    )
    world._admin_ids.append(admin_id)
    team = dict(world.teams[team_id])  # replaced, not edited: readers may hold the old dict
    team["admin_ids"] = [*team["admin_ids"], int(admin_id)]
    world.teams[team_id] = team
    log_activity(world, at, admin_id, "app_admin_join", "joined the workspace")
    return [("admins", admin_id), ("teams", team_id)]


def segment_updated(world, rng, at, _):
    segment_id = r.pick(rng, list(world.segments))
    segment = dict(world.segments[segment_id])
    segment["updated_at"] = max(segment["updated_at"], at)
    world.segments[segment_id] = segment
    return [("segments", segment_id)]


HANDLERS = {
    "contact_created": contact_created,
    "contact_updated": contact_updated,
    "contact_updated_twice": contact_updated_twice,
    "contact_bulk_update": contact_bulk_update,
    "contact_converted": contact_converted,
    "contact_tag_changed": contact_tag_changed,
    "contact_company_changed": contact_company_changed,
    "contact_note_added": contact_note_added,
    "contact_merged": contact_merged,
    "company_created": company_created,
    "company_updated": company_updated,
    "company_tag_changed": company_tag_changed,
    "conversation_created": conversation_created,
    "conversation_part_added": conversation_part_added,
    "conversation_part_redacted": conversation_part_redacted,
    "conversation_bulk_close": conversation_bulk_close,
    "conversation_tag_changed": conversation_tag_changed,
    "conversation_rated": conversation_rated,
    "conversation_deleted": conversation_deleted,
    "ticket_created": ticket_created,
    "ticket_state_changed": ticket_state_changed,
    "ticket_part_added": ticket_part_added,
    "timer_unsnooze": timer_unsnooze,
    "tag_created": tag_created,
    "admin_created": admin_created,
    "segment_updated": segment_updated,
}


# -- touch -------------------------------------------------------------------------------------
def _touch(world: World, k: int) -> list[tuple[str, str]]:
    """Change ``k`` random records at ``world.now`` (no clock movement)."""
    rng = world.rng
    at = world.now
    changed: list[tuple[str, str]] = []
    kinds = ("contacts", "companies", "conversations", "tickets")
    for _ in range(k):
        entity = rng.choices(kinds, (5, 2, 2, 1))[0]
        store = getattr(world, entity)
        id = store.random_id(rng)
        if id is None:
            continue
        record = ops.editable(store, id)
        if entity == "contacts":
            record["last_seen_at"] = at
        elif entity == "companies":
            record["session_count"] += 1
        elif entity == "conversations":
            record["read"] = not record["read"]
        else:
            record["ticket_attributes"]["Affected users"] = rng.randrange(1, 500)
        ops.save(store, record, at)
        changed.append((entity, id))
    return changed
