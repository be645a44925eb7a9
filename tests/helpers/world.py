"""Checks on emulator worlds shared by the emulator's tests: `snapshot` (everything observable,
for comparing two worlds) and the invariants of generated records (`check_*`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import orjson

from emulator.world import World

CONTACT_AUTHORS = {"user", "lead"}


ASSIGNING = {
    "assignment",
    "default_assignment",
    "away_mode_assignment",
    "assign_and_reopen",
    "assign_and_unsnooze",
}


OPENING = {
    "open",
    "note_and_reopen",
    "assign_and_reopen",
    "unsnoozed",
    "timer_unsnooze",
    "assign_and_unsnooze",
}


def snapshot(world: World) -> bytes:
    """Everything observable about a world, serialised."""
    stores = {
        name: [getattr(world, name).get(i) for i in getattr(world, name).ids()]
        for name in ("contacts", "companies", "conversations", "tickets")
    }
    return orjson.dumps(
        {
            "now": world.now,
            "app": world.app,
            "me": world.me,
            "admins": world.admins,
            "teams": world.teams,
            "tags": world.tags,
            "segments": world.segments,
            "ticket_types": world.ticket_types,
            "data_attributes": world.data_attributes,
            "stores": stores,
            "merged": world.merged_contacts,
            "deleted": world.deleted_conversations,
        }
    )


# -- consistency oracle, written independently of emulator.world.derive -------------------------------
def check_conversation(conversation: dict, now: int) -> None:
    created = conversation["created_at"]
    parts = conversation["conversation_parts"]["conversation_parts"]
    stats = conversation["statistics"]
    times = [p["created_at"] for p in parts]
    assert times == sorted(times), "parts are chronological"
    assert all(created <= t <= now for t in times)
    assert conversation["updated_at"] >= (times[-1] if times else created)
    assert conversation["updated_at"] <= now

    def by(predicate):
        return [p for p in parts if predicate(p)]

    from_contact = ((conversation["source"] or {}).get("author") or {}).get(
        "type"
    ) in CONTACT_AUTHORS
    contact_times = ([created] if from_contact else []) + [
        p["created_at"]
        for p in by(
            lambda p: p["part_type"] == "comment" and p["author"]["type"] in CONTACT_AUTHORS
        )
    ]
    admin_replies = by(lambda p: p["part_type"] == "comment" and p["author"]["type"] == "admin")
    closes = by(lambda p: p["part_type"] == "close")
    assigns = by(
        lambda p: p["part_type"] in ASSIGNING
        and (p["assigned_to"] or {}).get("type") in ("admin", "team")
    )

    def first(items):
        return items[0]["created_at"] if items else None

    def last(items):
        return items[-1]["created_at"] if items else None

    def since(at):
        return None if at is None else at - created

    assert stats["count_conversation_parts"] == len(parts)
    assert conversation["conversation_parts"]["total_count"] == len(parts)
    assert stats["first_contact_reply_at"] == (min(contact_times) if contact_times else None)
    assert stats["last_contact_reply_at"] == (max(contact_times) if contact_times else None)
    assert stats["first_admin_reply_at"] == first(admin_replies)
    assert stats["last_admin_reply_at"] == last(admin_replies)
    assert stats["first_close_at"] == first(closes)
    assert stats["last_close_at"] == last(closes)
    assert stats["last_closed_by_id"] == (closes[-1]["author"]["id"] if closes else None)
    assert stats["first_assignment_at"] == first(assigns)
    assert stats["last_assignment_at"] == last(assigns)
    assert stats["count_assignments"] == len(assigns)
    assert stats["time_to_assignment"] == since(first(assigns))
    assert stats["time_to_admin_reply"] == since(first(admin_replies))
    assert stats["time_to_first_close"] == since(first(closes))
    assert stats["time_to_last_close"] == since(last(closes))
    if assigns:
        after = [
            p
            for p in admin_replies
            if p["created_at"] >= assigns[-1]["created_at"]
            and parts.index(p) > parts.index(assigns[-1])
        ]
        assert stats["last_assignment_admin_reply_at"] == first(after)

    # State: the last part that sets it decides; each part records the state after it.
    state = "open"
    states = []
    admin_assignee = team_assignee = 0
    for p in parts:
        kind = p["part_type"]
        if kind == "close":
            state = "closed"
        elif kind == "snoozed":
            state = "snoozed"
        elif kind in OPENING or (kind == "comment" and p["author"]["type"] in CONTACT_AUTHORS):
            state = "open"
        target = p["assigned_to"] or {}
        if kind in ASSIGNING and target.get("type") == "admin":
            admin_assignee = int(target["id"])
        if kind in ASSIGNING and target.get("type") == "team":
            team_assignee = int(target["id"])
        if kind in ASSIGNING and target.get("type") == "nobody_admin":
            admin_assignee = 0
        states.append(state)
        assert p["state"] == state
    assert conversation["state"] == state
    assert conversation["open"] is (state != "closed")
    assert conversation["admin_assignee_id"] == admin_assignee
    assert conversation["team_assignee_id"] == team_assignee
    previous = ["open", *states[:-1]]
    assert stats["count_reopens"] == sum(
        1
        for before, after in zip(previous, states, strict=False)
        if before == "closed" and after == "open"
    )
    if state == "snoozed":
        assert conversation["snoozed_until"] is not None and conversation["snoozed_until"] > now
    else:
        assert conversation["snoozed_until"] is None
    # waiting_since: the first contact message after the last admin reply / close, if open.
    if state == "closed":
        assert conversation["waiting_since"] is None
    else:
        cut = max([parts.index(p) for p in admin_replies + closes], default=-1)
        waiting = [
            p["created_at"]
            for i, p in enumerate(parts)
            if i > cut and p["part_type"] == "comment" and p["author"]["type"] in CONTACT_AUTHORS
        ]
        if cut == -1 and from_contact:
            waiting.insert(0, created)
        assert conversation["waiting_since"] == (waiting[0] if waiting else None)
    assert conversation["ai_agent_participated"] is any(
        p["author"].get("from_ai_agent") for p in parts
    )
    assert (conversation["ai_agent"] is None) is (not conversation["ai_agent_participated"])
    teammates = [t["id"] for t in conversation["teammates"]["admins"]]
    expected = list(
        dict.fromkeys(p["author"]["id"] for p in parts if p["author"]["type"] == "admin")
    )
    assert teammates == expected


def check_contact_times(world: World) -> None:
    """Contacts' last_replied_at / last_contacted_at keep up with their conversations."""
    for conversation in world.conversations.values():
        members = {ref["id"] for ref in conversation["contacts"]["contacts"]}
        for part in conversation["conversation_parts"]["conversation_parts"]:
            if part["part_type"] != "comment":
                continue
            author = part["author"]
            if author["type"] in CONTACT_AUTHORS and author["id"] in world.contacts:
                contact = world.contacts.get(author["id"])
                assert contact["last_replied_at"] >= part["created_at"]
                assert contact["updated_at"] >= contact["last_replied_at"]
            elif author["type"] == "admin":
                for contact_id in members & set(world.contacts.ids()):
                    assert world.contacts.get(contact_id)["last_contacted_at"] >= part["created_at"]


def check_ticket(ticket: dict, world: World) -> None:
    parts = ticket["ticket_parts"]["ticket_parts"]
    assert ticket["ticket_parts"]["total_count"] == len(parts)
    category = parts[0]["ticket_state"]
    for p in parts:
        # real parts leave `previous_ticket_state` out when the state did not change
        assert p.get("previous_ticket_state", p["ticket_state"]) == category
        category = p["ticket_state"]
    assert ticket["ticket_state"]["category"] == category
    assert ticket["open"] is (category != "resolved")
    assert ticket["ticket_state"]["id"] in world.ticket_states


def local_day_boundary_hits(world: World, since: int = 0) -> int:
    """Records updated at local midnight -1/0/+1 s of the world's timezone (after ``since``)."""
    zone = zoneinfo.ZoneInfo(world.timezone)
    hits = 0
    for store in (world.contacts, world.companies, world.conversations, world.tickets):
        for id in store.ids():
            updated = store.updated_at(id)
            local = dt.datetime.fromtimestamp(updated, zone)
            seconds_into_day = local.hour * 3600 + local.minute * 60 + local.second
            hits += updated > since and seconds_into_day in (0, 1, 86399)
    return hits
