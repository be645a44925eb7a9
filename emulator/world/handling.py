"""A conversation's handling events and side conversations (2.16: `GET /conversations/{id}/
handling_events`, `/side_conversations`), derived from its parts.

Both are functions of the conversation's parts, never stored: they agree with the parts by
construction, a conversation that `advance` changes gains them with its new parts (and a new
`updated_at`), and a deleted conversation takes them with it.

Handling events (pause/resume, the spec's only types): an admin's `snoozed` part pauses the
conversation ("paused" by that admin, reason "Snoozed"); the first part after it that leaves
the snooze (any part whose `state` is no longer "snoozed") resumes it ("resumed", by the admin
who paused it, no reason). Chronological.

Side conversations: an admin's `note` part is the summary of a side conversation with
probability `SIDE_CONVERSATION_SHARE`; that side conversation has 1-3 comment parts, a minute
apart, ending at the note, by admins who wrote in the conversation by then. Drawn from a random stream of its own per note part
(`<seed>:side_conversation:<part id>`), so the world's other records, and its activity stream,
are the same as without them. Ids are numbered from the note's part id (a series of their own).

Records are the 2.16 JSON of the endpoints (they exist in no other version).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from emulator.world.records import conversation_part

SIDE_CONVERSATION_SHARE = 0.3
# side conversation id = SIDE_ID_OFFSET + the note's part id; its parts' ids follow it ×10
SIDE_ID_OFFSET = 700_000_000
_SIDE_TEXTS = (
    "<p>Can billing confirm the refund went out?</p>",
    "<p>Checked: it did, on Tuesday.</p>",
    "<p>Looping in engineering about the error in the logs.</p>",
    "<p>Known issue, a fix ships this week.</p>",
)


def iso_timestamp(seconds: int) -> str:
    """The handling events' time format (`2026-01-09T09:00:00Z`)."""
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parts(conversation: dict) -> list[dict]:
    return (conversation.get("conversation_parts") or {}).get("conversation_parts") or []


def _teammate(author: dict) -> dict[str, Any]:
    return {
        "type": "admin",
        "id": int(author["id"]),
        "name": author.get("name"),
        "email": author.get("email"),
    }


def handling_events(conversation: dict) -> list[dict]:
    """The conversation's pause/resume events, oldest first (see the module docstring)."""
    events: list[dict] = []
    paused_by: dict | None = None
    for part in _parts(conversation):
        author = part.get("author") or {}
        if paused_by is not None and part.get("state") != "snoozed":
            events.append(
                {
                    "teammate": _teammate(paused_by),
                    "type": "resumed",
                    "timestamp": iso_timestamp(part["created_at"]),
                }
            )
            paused_by = None
        if part["part_type"] == "snoozed" and author.get("type") == "admin" and not paused_by:
            paused_by = author
            events.append(
                {
                    "teammate": _teammate(author),
                    "type": "paused",
                    "timestamp": iso_timestamp(part["created_at"]),
                    "reason": "Snoozed",
                }
            )
    return events


def side_conversations(seed: int, conversation: dict) -> list[dict]:
    """The conversation's side conversations, oldest first, each with its parts. Their authors
    are admins who wrote in the conversation up to the note, so that nothing `advance` does
    later (a new admin, new parts) changes a side conversation already there."""
    found = []
    writers: dict[str, dict] = {}  # admin id -> author, in order of first part
    for part in _parts(conversation):
        author = part.get("author") or {}
        if author.get("type") == "admin":
            writers.setdefault(str(author["id"]), author)
        if part["part_type"] != "note" or author.get("type") != "admin":
            continue
        rng = random.Random(f"{seed}:side_conversation:{part['id']}")
        if rng.random() >= SIDE_CONVERSATION_SHARE:
            continue
        side_id = SIDE_ID_OFFSET + int(part["id"])
        count = rng.randint(1, 3)
        authors = list(writers.values())
        side_parts = []
        for k in range(count):
            writer = authors[rng.randrange(len(authors))]
            at = max(conversation["created_at"], part["created_at"] - 60 * (count - 1 - k))
            side_part = conversation_part(
                id=str(side_id * 10 + k),
                part_type="comment",
                author={key: writer.get(key) for key in ("type", "id", "name", "email")},
                created_at=at,
                body=_SIDE_TEXTS[rng.randrange(len(_SIDE_TEXTS))],
            )
            side_parts.append(side_part)
        found.append(
            {
                "side_conversation_id": str(side_id),
                "conversation_parts": side_parts,
                "total_count": len(side_parts),
            }
        )
    return found
