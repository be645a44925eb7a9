"""Derived conversation and ticket fields, computed from the parts by one function each.

``derive_conversation(conversation)`` is THE definition of a conversation's ``statistics``,
``state``, ``open``, ``admin_assignee_id``, ``team_assignee_id``, ``waiting_since``,
``snoozed_until``, ``first_contact_reply`` and each part's ``state``. The world calls it after
every change of the parts, so analytics can be checked against it. Rules (replayed oldest part
first; the ``source`` message counts as a contact message at ``created_at`` when its author is
a user/lead):

State machine
    start: state "open", assignees 0 (2.16 uses 0 for unassigned), waiting_since = created_at if
    the source is from a contact else null.
    comment by user/lead      -> reopens a closed/snoozed conversation (state "open");
                                 waiting_since := part time if it was null
    comment by admin          -> waiting_since := null (an admin replied)
    assignment-type part      -> assigned_to {type admin|team, id}; "nobody_admin" unassigns
                                 (assignment, default_assignment, away_mode_assignment,
                                 assign_and_reopen, assign_and_unsnooze)
    open, note_and_reopen, assign_and_reopen           -> state "open"
    unsnoozed, timer_unsnooze, assign_and_unsnooze     -> state "open"
    close                     -> state "closed", waiting_since := null
    snoozed                   -> state "snoozed", snoozed_until := conversation["_snoozes"][part id]
    leaving "snoozed" clears snoozed_until. ``open`` is ``state != "closed"``.
    Each part's ``state`` is the conversation state right after it.

Statistics (all ``time_to_*`` are seconds since the conversation's ``created_at``; null when the
event never happened)
    first/last_contact_reply_at  first/last contact message (source included)
    first/last_admin_reply_at    first/last ``comment`` authored by an admin (bots excluded)
    first/last_assignment_at     first/last assignment-type part assigning an admin or a team
    count_assignments            number of those parts
    last_assignment_admin_reply_at  first admin comment at/after last_assignment_at
    first/last_close_at          first/last ``close`` part; last_closed_by_id = its author id
    time_to_assignment / time_to_admin_reply / time_to_first_close / time_to_last_close
    median_time_to_reply         median_low of the reply times: for every admin comment that
                                 follows >= 1 unanswered contact message, admin comment time minus
                                 the first unanswered contact message time
    count_reopens                transitions from "closed" to "open"
    count_conversation_parts     number of parts
    handling_time                sum over open periods ended by a close of (close - period start)
    adjusted_handling_time       null; assigned_team_first_response_time(_in_office_hours) []

Other derived fields
    teammates       admins who authored a part, in order of first appearance
    ai_agent_participated / ai_agent   whether a part came from the AI agent (author
                    ``from_ai_agent``); ai_agent.resolution_state is "escalated" if an admin
                    commented after the agent's last part, "confirmed_resolution" if the
                    conversation is closed, else "assumed_resolution"
    sla_applied     kept null if none; else sla_status from the SLA's first-response target
                    (records.SLA_TARGETS): "hit" if the first admin reply came within the target,
                    "missed" if later, "cancelled" if closed without any admin reply, else "active"
"""

from __future__ import annotations

from typing import Any

from emulator.world.records import ASSIGNMENT_PART_TYPES, CONTACT_AUTHOR_TYPES, SLA_TARGETS

OPENING_PART_TYPES = frozenset(
    {
        "open",
        "note_and_reopen",
        "assign_and_reopen",
        "unsnoozed",
        "timer_unsnooze",
        "assign_and_unsnooze",
    }
)


def derive_conversation(conversation: dict) -> dict[str, Any]:
    """Recompute derived fields of ``conversation`` in place (a dict the caller owns)."""
    created_at = conversation["created_at"]
    parts = conversation["conversation_parts"]["conversation_parts"]
    snoozes: dict[str, int] = conversation.get("_snoozes", {})
    # a conversation an admin started may have no source at all (real 2.11 data)
    source_author = ((conversation.get("source") or {}).get("author") or {}).get("type")

    state = "open"
    admin_assignee = 0
    team_assignee = 0
    snoozed_until = None
    waiting_since = created_at if source_author in CONTACT_AUTHOR_TYPES else None
    unanswered_since = waiting_since
    period_start = created_at
    handling_time = 0

    first_contact = created_at if source_author in CONTACT_AUTHOR_TYPES else None
    last_contact = first_contact
    first_admin = last_admin = None
    first_assign = last_assign = None
    last_assign_reply = None
    first_close = last_close = None
    last_closed_by = None
    count_reopens = 0
    count_assignments = 0
    reply_times: list[int] = []
    teammates: dict[str, None] = {}

    for part in parts:
        part_type = part["part_type"]
        author_type = part["author"]["type"]
        at = part["created_at"]
        before = state
        if author_type == "admin":
            teammates[part["author"]["id"]] = None

        if part_type == "comment" and author_type in CONTACT_AUTHOR_TYPES:
            state = "open"
            if waiting_since is None:
                waiting_since = at
            if unanswered_since is None:
                unanswered_since = at
            if first_contact is None:
                first_contact = at
            last_contact = at
        elif part_type == "comment" and author_type == "admin":
            waiting_since = None
            if unanswered_since is not None:
                reply_times.append(at - unanswered_since)
                unanswered_since = None
            if first_admin is None:
                first_admin = at
            last_admin = at
            if last_assign is not None and last_assign_reply is None:
                last_assign_reply = at

        if part_type in ASSIGNMENT_PART_TYPES:
            target = part.get("assigned_to") or {}
            if target.get("type") == "admin":
                admin_assignee = int(target["id"])
            elif target.get("type") == "team":
                team_assignee = int(target["id"])
            elif target.get("type") == "nobody_admin":
                admin_assignee = 0
            if target.get("type") in ("admin", "team"):
                count_assignments += 1
                if first_assign is None:
                    first_assign = at
                last_assign = at
                last_assign_reply = None

        if part_type in OPENING_PART_TYPES:
            state = "open"
        elif part_type == "close":
            state = "closed"
            waiting_since = None
            if first_close is None:
                first_close = at
            last_close = at
            last_closed_by = part["author"]["id"]
        elif part_type == "snoozed":
            state = "snoozed"
            snoozed_until = snoozes.get(part["id"])

        if state != "snoozed":
            snoozed_until = None
        if before == "closed" and state == "open":
            count_reopens += 1
            period_start = at
        if before != "closed" and state == "closed":
            handling_time += at - period_start
        part["state"] = state

    def since_created(at: int | None) -> int | None:
        return None if at is None else at - created_at

    reply_times.sort()
    conversation["statistics"] = {
        "type": "conversation_statistics",
        "time_to_assignment": since_created(first_assign),
        "time_to_admin_reply": since_created(first_admin),
        "time_to_first_close": since_created(first_close),
        "time_to_last_close": since_created(last_close),
        "median_time_to_reply": reply_times[(len(reply_times) - 1) // 2] if reply_times else None,
        "first_contact_reply_at": first_contact,
        "first_assignment_at": first_assign,
        "first_admin_reply_at": first_admin,
        "first_close_at": first_close,
        "last_assignment_at": last_assign,
        "last_assignment_admin_reply_at": last_assign_reply,
        "last_contact_reply_at": last_contact,
        "last_admin_reply_at": last_admin,
        "last_close_at": last_close,
        "last_closed_by_id": last_closed_by,
        "count_reopens": count_reopens,
        "count_assignments": count_assignments,
        "count_conversation_parts": len(parts),
        "assigned_team_first_response_time": [],
        "assigned_team_first_response_time_in_office_hours": [],
        "handling_time": handling_time,
        "adjusted_handling_time": None,
    }
    conversation["state"] = state
    conversation["open"] = state != "closed"
    conversation["admin_assignee_id"] = admin_assignee
    conversation["team_assignee_id"] = team_assignee
    conversation["waiting_since"] = waiting_since
    conversation["snoozed_until"] = snoozed_until
    conversation["first_contact_reply"] = (
        None
        if first_contact is None
        else {"created_at": first_contact, "type": "conversation", "url": None}
    )
    conversation["conversation_parts"]["total_count"] = len(parts)
    conversation["teammates"] = {
        "type": "admin.list",
        "admins": [{"type": "admin", "id": admin_id} for admin_id in teammates],
    }
    ai_parts = [p for p in parts if p["author"].get("from_ai_agent")]
    conversation["ai_agent_participated"] = bool(ai_parts)
    if ai_parts:
        last_ai = ai_parts[-1]["created_at"]
        if last_admin is not None and last_admin > last_ai:
            resolution = "escalated"
        elif state == "closed":
            resolution = "confirmed_resolution"
        else:
            resolution = "assumed_resolution"
        conversation["ai_agent"] = {
            "source_type": "workflow",
            "source_title": "Fin answers 🤖",
            "last_answer_type": "ai_answer",
            "resolution_state": resolution,
            "rating": None,
            "rating_remark": None,
            "created_at": ai_parts[0]["created_at"],
            "updated_at": last_ai,
            "content_sources": {
                "type": "content_source.list",
                "total_count": 0,
                "content_sources": [],
            },
        }
    else:
        conversation["ai_agent"] = None
    sla = conversation.get("sla_applied")
    if sla is not None:
        target = SLA_TARGETS.get(sla["sla_name"], 3600)
        if first_admin is not None:
            status = "hit" if first_admin - created_at <= target else "missed"
        elif first_close is not None:
            status = "cancelled"
        else:
            status = "active"
        conversation["sla_applied"] = {**sla, "sla_status": status}
    return conversation


def derive_ticket(ticket: dict, states_by_id: dict[str, dict]) -> dict[str, Any]:
    """Recompute a ticket's state fields from its parts, in place.

    The ticket's current state id is ``ticket["_state_id"]`` (set by whoever appended the
    state-change part); ``open`` is ``category != "resolved"``; ``previous_ticket_state_id`` is
    the state before the last state change (null if never changed); assignees follow the
    last assignment part (0 = unassigned, as 2.16 integers).
    """
    parts = ticket["ticket_parts"]["ticket_parts"]
    state = states_by_id[ticket["_state_id"]]
    ticket["ticket_state"] = {
        "type": "ticket_state",
        "id": state["id"],
        "category": state["category"],
        "internal_label": state["internal_label"],
        "external_label": state["external_label"],
    }
    ticket["open"] = state["category"] != "resolved"
    admin_assignee = 0
    team_assignee = 0
    for part in parts:
        target = part.get("assigned_to") or {}
        if part["part_type"] == "assignment":
            if target.get("type") == "admin":
                admin_assignee = int(target["id"])
            elif target.get("type") == "team":
                team_assignee = int(target["id"])
    ticket["admin_assignee_id"] = admin_assignee
    ticket["team_assignee_id"] = team_assignee
    ticket["ticket_parts"]["total_count"] = len(parts)
    return ticket
