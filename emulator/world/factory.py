"""Builders of whole records that need the world (ids, lookups); used by generation and activity.

Nothing here stores anything: callers put the returned dicts (see emulator.world.ops).
"""

from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING, Any

from emulator.world import records as r
from emulator.world.derive import derive_conversation, derive_ticket

if TYPE_CHECKING:
    from emulator.world import World

BOTS = (
    {"type": "bot", "id": "7099001", "name": "Operator", "email": "operator@intercom.io"},
    {"type": "bot", "id": "7099002", "name": "Fin", "email": "fin@intercom.io"},
)


def build_contact(world: World, rng: random.Random, created_at: int, role: str) -> dict[str, Any]:
    index = world.next_number("contact_index", 0)
    name = r.person_name(rng) if rng.random() < 0.93 else None
    domain = r.pick(rng, r.DOMAINS)
    email = f"{r.slug(name or 'anon', index)}@{domain}"
    country, region, city = r.pick(rng, r.CITIES)
    browser, browser_version = r.pick(rng, r.BROWSERS)
    is_user = role == "user"
    seen = created_at + rng.randrange(0, 3 * 86400)
    has_ios = rng.random() < 0.15
    has_android = rng.random() < 0.12
    owner = r.pick(rng, world._admin_ids) if rng.random() < 0.4 else None
    id = world.new_hex_id(created_at)
    return {
        "type": "contact",
        "id": id,
        "workspace_id": world.app["id_code"],
        "external_id": f"user-{index}" if is_user else None,
        "role": role,
        "email": email,
        "phone": f"+353 1 555 {index % 10000:04d}" if rng.random() < 0.3 else None,
        "name": name,
        "owner_id": owner,
        "has_hard_bounced": rng.random() < 0.02,
        "marked_email_as_spam": rng.random() < 0.01,
        "unsubscribed_from_emails": rng.random() < 0.1,
        # every version (captures); not in the spec's contact schema
        "sms_consent": rng.random() < 0.05,
        "unsubscribed_from_sms": rng.random() < 0.02,
        "created_at": created_at,
        "updated_at": created_at,
        "signed_up_at": created_at if is_user else None,
        "last_seen_at": seen if rng.random() < 0.85 else None,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": seen + 3600 if rng.random() < 0.3 else None,
        "last_email_clicked_at": seen + 7200 if rng.random() < 0.1 else None,
        "language_override": r.pick(rng, r.LANGUAGES) if rng.random() < 0.1 else None,
        "browser": browser if rng.random() < 0.8 else None,
        "browser_version": browser_version,
        "browser_language": r.pick(rng, r.LANGUAGES),
        "os": r.pick(rng, r.OSES),
        "android_app_name": "Emu Android" if has_android else None,
        "android_app_version": "5.2.1" if has_android else None,
        "android_device": "Pixel 8" if has_android else None,
        "android_os_version": "14" if has_android else None,
        "android_sdk_version": "15.1.0" if has_android else None,
        "android_last_seen_at": seen if has_android else None,
        "ios_app_name": "Emu iOS" if has_ios else None,
        "ios_app_version": "5.2.0" if has_ios else None,
        "ios_device": "iPhone 15" if has_ios else None,
        "ios_os_version": "17.2" if has_ios else None,
        "ios_sdk_version": "16.0.3" if has_ios else None,
        "ios_last_seen_at": seen if has_ios else None,
        "custom_attributes": r.custom_attributes(rng, r.CONTACT_CUSTOM_ATTRIBUTES, created_at),
        "avatar": (
            {"type": "avatar", "image_url": f"https://static.example.com/avatars/{index}.png"}
            if rng.random() < 0.3
            else None
        ),
        "tags": r.embedded_list([], f"/contacts/{id}/tags"),
        "notes": r.embedded_list([], f"/contacts/{id}/notes"),
        "companies": r.embedded_list([], f"/contacts/{id}/companies"),
        "opted_out_subscription_types": r.embedded_list([], f"/contacts/{id}/subscriptions"),
        "opted_in_subscription_types": r.embedded_list([], f"/contacts/{id}/subscriptions"),
        "utm_campaign": r.pick(rng, (None, "spring_launch", "black-friday-🖤")),
        "utm_content": None,
        "utm_medium": r.pick(rng, (None, "email", "cpc")),
        "utm_source": r.pick(rng, (None, "newsletter", "google")),
        "utm_term": None,
        "referrer": r.pick(rng, (None, "https://www.example.com/pricing")),
        "location": {
            "type": "location",
            "country": country,
            "region": region,
            "city": city,
            "country_code": r.COUNTRY_CODES.get(country, (None, None))[0],
            "continent_code": r.COUNTRY_CODES.get(country, (None, None))[1],
        },
        "social_profiles": {"type": "list", "data": []},
        # 2.16 only: kept after `tags` so that versions.render_contact drops them from the
        # spliced tail (emulator.http.splice) as well as from a full render
        "email_domain": domain,
        "enabled_push_messaging": (True if has_ios or has_android else None),
        "merge_history": [],
        "_segment_ids": [],
        "_tag_applications": {},
    }


def build_company(world: World, rng: random.Random, created_at: int) -> dict[str, Any]:
    index = world.next_number("company_index", 0)
    name = f"{r.pick(rng, r.COMPANY_WORDS)} {r.pick(rng, r.COMPANY_SUFFIXES)}".strip()
    plan_id, plan_name = r.pick(rng, r.PLANS)
    company_id = world.new_hex_id(created_at)
    company = {
        "type": "company",
        "id": company_id,
        "name": f"{name} #{index}",
        "app_id": world.app["id_code"],
        "plan": {"type": "plan", "id": plan_id, "name": plan_name} if rng.random() < 0.8 else {},
        "company_id": f"cmp-{index:06d}",
        "remote_created_at": created_at - rng.randrange(0, 400) * 86400,
        "created_at": created_at,
        "updated_at": created_at,
        "last_request_at": created_at + rng.randrange(0, 86400),
        "size": r.pick(rng, (0, 5, 12, 50, 250, 1000, 12000)),
        "website": f"https://{r.slug(name, index).replace('.', '-')}.example.com",
        "industry": r.pick(rng, r.INDUSTRIES),
        "monthly_spend": r.pick(rng, (0, 49, 99, 499, 2500, 10000)),
        "session_count": rng.randrange(0, 5000),
        "user_count": 0,
        "custom_attributes": r.custom_attributes(rng, r.COMPANY_CUSTOM_ATTRIBUTES, created_at),
        "tags": {"type": "tag.list", "tags": []},
        "segments": {"type": "segment.list", "segments": []},
        # real 2.16: a `data` list with url/total_count/has_more (the spec's `notes` key is wrong)
        "notes": {
            "type": "note.list",
            "data": [],
            "url": f"/companies/{company_id}/notes",
            "total_count": 0,
            "has_more": False,
        },
    }
    # Unset keys are left out, not sent as null (captures): about one company in five.
    for key in r.OPTIONAL_COMPANY_KEYS:
        if rng.random() < 0.2:
            del company[key]
    return company


def build_conversation(
    world: World, rng: random.Random, created_at: int, contacts: list[dict]
) -> dict[str, Any]:
    """A new conversation (no parts yet) started by ``contacts[0]`` or, for outbound, an admin."""
    id = world.new_numeric_id("conversation")
    outbound = rng.random() < 0.15
    if outbound:
        admin = world.admins[r.pick(rng, world._admin_ids)]
        author = r.admin_author(admin)
        delivered_as = "admin_initiated"
    else:
        author = {k: v for k, v in r.contact_author(contacts[0]).items()}
        delivered_as = "customer_initiated"
    source_type = r.pick(rng, ("conversation", "conversation", "email", "push", "twitter"))
    source: dict[str, Any] | None = {
        "type": source_type,
        "id": str(world.next_number("source", 90_000_000)),
        "delivered_as": delivered_as,
        "recipients": None,
        "reply_to": None,
        "subject": "" if source_type != "email" else "Question about my account ✉️",
        "body": r.html_body(rng),
        "author": author,
        "attachments": [],
        "url": None,
        "redacted": False,
    }
    draw = rng.random()
    if outbound and draw < 0.3:
        source = None  # a conversation an admin started: no source (seen at 2.11)
    elif draw < 0.04:
        source = {**source, "type": "unknown", "subject": None}  # captures: type "unknown"
    sla = r.pick(rng, r.SLA_NAMES) if rng.random() < 0.3 else None
    conversation = {
        "type": "conversation",
        "id": id,
        "title": None if rng.random() < 0.7 else f"Re: {r.pick(rng, r.SENTENCES)[:40]}",
        "created_at": created_at,
        "updated_at": created_at,
        "waiting_since": None,
        "snoozed_until": None,
        "open": True,
        "state": "open",
        "read": rng.random() < 0.7,
        "priority": r.pick(rng, ("none", "none", "none", "low", "medium", "high", "urgent")),
        "admin_assignee_id": 0,
        "team_assignee_id": 0,
        "company": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_rating": None,
        "source": source,
        "contacts": {
            "type": "contact.list",
            "contacts": [r.contact_reference(c) for c in contacts],
        },
        "teammates": {"type": "admin.list", "admins": []},  # real key (the spec says teammates)
        "custom_attributes": r.custom_attributes(rng, r.CONVERSATION_CUSTOM_ATTRIBUTES, created_at),
        "topics": {
            "type": "topic.list",
            "topics": [dict(t) for t in r.pick(rng, r.TOPIC_CHOICES)],
            "total_count": 0,
        },
        "ticket": None,
        "first_contact_reply": None,
        "sla_applied": (
            {"type": "conversation_sla_summary", "sla_name": sla, "sla_status": "active"}
            if sla
            else None
        ),
        "statistics": None,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [],
            "total_count": 0,
        },
        "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
        "ai_agent_participated": False,
        "ai_agent": None,
        "sales_agent_participated": False,
        "sales_agent": None,
        "channel": {"initial": source_type, "current": source_type},
        "external_references": [],
        "_snoozes": {},
    }
    conversation["topics"]["total_count"] = len(conversation["topics"]["topics"])
    derive_conversation(conversation)
    return conversation


def _menu(*entries: tuple[str, int]) -> tuple[tuple[str, ...], list[int]]:
    kinds, weights = zip(*entries, strict=False)
    return kinds, list(itertools.accumulate(weights))


# What can happen next, by conversation state: (kind, weight). Every part type appears somewhere.
_PART_MENUS = {
    "closed": _menu(
        ("comment_contact", 35),
        ("open", 15),
        ("note_and_reopen", 10),
        ("assign_and_reopen", 6),
        ("note", 10),
        ("comment_admin", 4),
    ),
    "snoozed": _menu(
        ("unsnoozed", 20),
        ("timer_unsnooze", 10),
        ("comment_contact", 25),
        ("assign_and_unsnooze", 6),
        ("note", 10),
    ),
    "open": _menu(
        ("comment_contact", 24),
        ("comment_admin", 26),
        ("comment_bot", 4),
        ("note", 8),
        ("assignment", 7),
        ("default_assignment", 2),
        ("away_mode_assignment", 2),
        ("close", 11),
        ("snoozed", 5),
        ("conversation_attribute_updated_by_admin", 2),
        ("title_changed", 1),
        ("participant_added", 1),
        ("language_detection_details", 1),
    ),
}


def next_conversation_part(
    world: World, rng: random.Random, conversation: dict, at: int, contacts: list[dict]
) -> dict[str, Any]:
    """Choose and build the next plausible part for ``conversation`` at ``at`` (not appended).

    The choice depends on the current state so that every part type occurs and transitions
    stay sensible; ``conversation["_snoozes"]`` gets the snooze end of a ``snoozed`` part.
    """
    state = conversation["state"]
    admin = world.admins[r.pick(rng, world._admin_ids)]
    contact = r.pick(rng, contacts) if contacts else None
    kinds, cumulative = _PART_MENUS[state]
    kind = rng.choices(kinds, cum_weights=cumulative)[0]
    if kind == "comment_contact" and contact is None:
        kind = "note"
    part_id = world.new_numeric_id("part")
    body: str | None = None
    assigned_to = None
    author: dict = r.admin_author(admin)
    part_type = kind
    if kind == "comment_contact":
        part_type, author, body = "comment", r.contact_author(contact), r.html_body(rng)
    elif kind == "comment_admin":
        part_type, body = "comment", r.html_body(rng)
    elif kind == "comment_bot":
        part_type, author, body = "comment", dict(r.pick(rng, BOTS)), r.html_body(rng)
        author["from_ai_agent"] = author["name"] == "Fin"
        author["is_ai_answer"] = author["name"] == "Fin"
    elif kind in ("note", "note_and_reopen"):
        body = f"<p>Internal: {r.pick(rng, r.SENTENCES)}</p>"
    elif kind in ("default_assignment", "timer_unsnooze", "language_detection_details"):
        author = dict(r.pick(rng, BOTS))
    if part_type in r.ASSIGNMENT_PART_TYPES:
        if rng.random() < 0.3:
            assigned_to = {"type": "team", "id": r.pick(rng, world._team_ids)}
        elif rng.random() < 0.05:
            assigned_to = {"type": "nobody_admin", "id": None}
        else:
            assigned_to = {"type": "admin", "id": r.pick(rng, world._admin_ids)}
    if part_type == "snoozed":
        conversation["_snoozes"][part_id] = at + r.pick(
            rng, (3600, 2 * 3600, 4 * 3600, 86400, 3 * 86400)
        )
    return r.conversation_part(
        id=part_id,
        part_type=part_type,
        author=author,
        created_at=at,
        body=body,
        assigned_to=assigned_to,
    )


def build_ticket(
    world: World, rng: random.Random, created_at: int, contacts: list[dict]
) -> dict[str, Any]:
    ticket_type = world.ticket_types[r.pick(rng, world._ticket_type_ids)]
    states = world.states_of_type(ticket_type["id"])
    first_state = states["submitted"]
    id = world.new_numeric_id("conversation")  # tickets share the conversation id space
    contact = contacts[0] if contacts else None
    author = (
        {"type": "user", "id": contact["id"], "name": contact["name"], "email": contact["email"]}
        if contact
        else r.admin_author(world.admins[world._admin_ids[0]])
    )
    title = f"{ticket_type['name']}: {r.pick(rng, r.SENTENCES)[:50]}"
    first_part = r.ticket_part(
        id=world.new_numeric_id("part"),
        part_type="ticket_state_updated_by_admin",
        author=r.admin_author(world.admins[r.pick(rng, world._admin_ids)]),
        created_at=created_at,
        previous_state="submitted",
        state="submitted",
    )
    ticket = {
        "type": "ticket",
        "id": id,
        "ticket_id": world.new_numeric_id("ticket_number"),
        "category": ticket_type["category"],
        "ticket_attributes": {
            "_default_title_": title,
            "_default_description_": r.html_body(rng),
            "Severity": r.pick(rng, ("low", "high", None)),
            "Affected users": r.pick(rng, (1, 10, 250, None)),
            "Attachments": [],  # files attributes arrive as [] (captures)
        },
        "ticket_state": None,
        "ticket_type": ticket_type,
        "contacts": {
            "type": "contact.list",
            "contacts": [r.contact_reference(c) for c in contacts],
        },
        "admin_assignee_id": 0,
        "team_assignee_id": 0,
        "created_at": created_at,
        "updated_at": created_at,
        "open": True,
        "snoozed_until": None,
        "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
        "channel": r.pick(rng, ("email", "conversation", "api")),
        "ticket_parts": {
            "type": "ticket_part.list",
            "ticket_parts": [first_part],
            "total_count": 1,
        },
        "is_shared": ticket_type["category"] == "Customer",
        "previous_ticket_state_id": None,
        "_state_id": first_state["id"],
        "_author": author,
    }
    derive_ticket(ticket, world.ticket_states)
    return ticket


def next_ticket_part(
    world: World, rng: random.Random, ticket: dict, at: int, change_state: bool
) -> dict[str, Any]:
    """The next ticket part; a state change also moves ``ticket["_state_id"]``."""
    admin = world.admins[r.pick(rng, world._admin_ids)]
    current = world.ticket_states[ticket["_state_id"]]["category"]
    part_id = world.new_numeric_id("part")
    if change_state:
        order = r.TICKET_CATEGORIES
        choices = [c for c in order if c != current]
        target = r.pick(rng, choices)
        new_state = world.states_of_type(ticket["ticket_type"]["id"])[target]
        ticket["previous_ticket_state_id"] = ticket["_state_id"]
        ticket["_state_id"] = new_state["id"]
        return r.ticket_part(
            id=part_id,
            part_type="ticket_state_updated_by_admin",
            author=r.admin_author(admin),
            created_at=at,
            previous_state=current,
            state=target,
        )
    kind = rng.choices(
        ("comment", "note", "assignment", "ticket_attribute_updated_by_admin"), (5, 3, 2, 1)
    )[0]
    assigned_to = None
    body: str | None = r.html_body(rng) if kind in ("comment", "note") else None
    updated = None
    if kind == "assignment":
        assigned_to = (
            {"type": "team", "id": r.pick(rng, world._team_ids)}
            if rng.random() < 0.3
            else {"type": "admin", "id": r.pick(rng, world._admin_ids)}
        )
    if kind == "ticket_attribute_updated_by_admin":
        value = r.pick(rng, ("low", "high"))
        ticket["ticket_attributes"]["Severity"] = value
        attribute_id = next(
            a["id"]
            for a in ticket["ticket_type"]["ticket_type_attributes"]["data"]
            if a["name"] == "Severity"
        )
        updated = {
            "attribute": {"type": "attribute", "id": attribute_id, "label": "Severity"},
            "value": {"type": "value", "id": value, "label": value},
        }
    author = r.admin_author(admin)
    if kind == "comment" and ticket["contacts"]["contacts"] and rng.random() < 0.4:
        author = dict(ticket["_author"])
    return r.ticket_part(
        id=part_id,
        part_type=kind,
        author=author,
        created_at=at,
        previous_state=current,
        state=current,
        body=body,
        assigned_to=assigned_to,
        updated_attribute_data=updated,
    )
