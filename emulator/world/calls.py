"""Phone calls (issue 21): what `GET /calls` lists (the 2.15 and 2.16 specs have it).

Calls are kept in ``world.content["calls"]`` (id -> the 2.16 `call`). Each belongs to a
conversation of the world, with that conversation's first contact and an admin (its assignee,
else any admin). Generation gives a share of the conversations a call around their creation;
``advance`` starts calls in random conversations (ringing, `in_progress`) and ends started ones
(`completed` or `missed`), each a change of `updated_at`. All draws come from streams of their
own (``<seed>:calls`` at generation, ``<seed>:calls:<start>:<end>`` per span) and ids from a
series of their own, so no other record of a seed changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
KIND = "calls"
FIRST_ID = 5_400_000
# share of the generated conversations that had a call
CALL_SHARE = 0.08
DAILY_CHANGES = {"call_started": 2.0, "call_ended": 2.0}
API = "https://api.intercom.io"


def _contact_id(conversation: dict[str, Any]) -> str | None:
    contacts = (conversation.get("contacts") or {}).get("contacts") or []
    return str(contacts[0]["id"]) if contacts else None


def _admin_id(world: World, rng: random.Random, conversation: dict[str, Any]) -> str:
    assignee = conversation.get("admin_assignee_id")
    if assignee not in (None, 0, "0") and str(assignee) in world.admins:
        return str(assignee)
    return rng.choice(sorted(world.admins))


def _call(world: World, rng: random.Random, conversation: dict[str, Any], at: int) -> dict:
    call_id = str(world.next_number("call", FIRST_ID))
    direction = rng.choice(("inbound", "inbound", "outbound"))
    return {
        "type": "call",
        "id": call_id,
        "conversation_id": str(conversation["id"]),
        "admin_id": _admin_id(world, rng, conversation),
        "contact_id": _contact_id(conversation),
        "state": "in_progress",
        "initiated_at": at,  # `answered_at`, `ended_at` once they happen (never null: the spec)
        "created_at": at,
        "updated_at": at,
        "recording_url": None,
        "transcription_url": None,
        "call_type": "phone",
        "direction": direction,
        "ended_reason": None,
        "phone": f"+1555{rng.randrange(10**7):07d}",
        "fin_recording_url": None,
        "fin_transcription_url": None,
    }


def _end(rng: random.Random, call: dict[str, Any], at: int) -> dict[str, Any]:
    """The call once over: answered and recorded, or missed."""
    ended = dict(call)
    answered = rng.random() < 0.8
    if answered:
        ended["answered_at"] = min(call["initiated_at"] + rng.randrange(3, 40), at)
    ended.update(
        state="completed" if answered else "missed",
        ended_at=at,
        updated_at=at,
        ended_reason="hung_up" if answered else "no_answer",
    )
    if answered:
        ended["recording_url"] = f"{API}/calls/{call['id']}/recording"
        ended["transcription_url"] = f"{API}/calls/{call['id']}/transcript"
    return ended


def generate_calls(world: World) -> None:
    """Calls of a new world's conversations, each over within minutes of its start."""
    rng = random.Random(f"{world.cfg.seed}:{KIND}")
    calls = world.content.setdefault(KIND, {})
    ids = world.conversations.ids()
    for conversation_id in sorted(rng.sample(ids, int(len(ids) * CALL_SHARE))):
        conversation = world.conversations.get_head(conversation_id)
        start = conversation["created_at"] + rng.randrange(0, 3600)
        if start >= world.cfg.start_time - 3600:
            continue
        call = _call(world, rng, conversation, start)
        calls[call["id"]] = _end(rng, call, start + rng.randrange(30, 1800))


def _started(world: World, rng: random.Random, at: int) -> bool:
    conversation_id = world.conversations.random_id(rng)
    if conversation_id is None or not world.admins:
        return False
    call = _call(world, rng, world.conversations.get_head(conversation_id), at)
    world.content.setdefault(KIND, {})[call["id"]] = call
    return True


def _ended(world: World, rng: random.Random, at: int) -> bool:
    calls = world.content.get(KIND, {})
    ongoing = sorted(i for i, c in calls.items() if c["state"] == "in_progress")
    if not ongoing:
        return False
    call_id = rng.choice(ongoing)
    calls[call_id] = _end(rng, calls[call_id], at)  # replaced: readers may hold the old one
    return True


CHANGES = {"call_started": _started, "call_ended": _ended}


def advance_calls(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    if end <= start:
        return {}
    return apply_daily_changes(world, KIND, start, end, intensity, DAILY_CHANGES, CHANGES)
