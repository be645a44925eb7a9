"""The admins' activity log (issue 21): what `GET /admins/activity_logs` lists.

Entries are kept in ``world.content["activity_logs"]`` (id -> the 2.16 `activity_log`), in
the order they happened. They come from three places:

- generation: each admin's joining (`app_admin_join`) early in the history, then sign-ins
  and sign-outs over it (``generate_activity_logs``, a random stream of its own);
- ``advance``: sign-ins/outs and away-mode changes at daily rates (an away-mode change also
  changes the admin's ``away_mode_enabled``/``away_mode_reassign``), drawn by
  ``advance_activity_logs`` from a stream of its own;
- what ``advance`` already does that real workspaces log: a new admin joins
  (``activity.admin_created``), a conversation part is deleted (redacted:
  ``activity.conversation_part_redacted``), office hours change
  (``content._office_hours_changed``). Those handlers call ``log_activity``, which draws no
  random numbers: ids come from a counter series of their own, so every other record of a
  seed stays as it was.

Conversation assignments, closes and tagging are not logged: no spec's `activity_type` enum
names them (they are conversation parts). Only activity types every vendored spec's enum has
are used (2.9's is the shortest), and
metadata keys 2.9's `activity_log_metadata` has: the same entries are served on every version.
"""

from __future__ import annotations

import random
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
KIND = "activity_logs"
# expected entries per simulated day, per workspace (a tiny world's 8 admins)
DAILY_CHANGES = {"admin_session": 3.0, "admin_away_mode_change": 1.0}
# sign-ins per day over the generated history (each with a sign-out hours later)
HISTORY_SESSIONS_PER_DAY = 1.0
SIGN_IN_METHODS = ("email_password", "google_sso", "saml")


def _admin(world: World, admin_id: str) -> dict[str, Any]:
    return world.admins.get(admin_id) or {"id": admin_id, "name": "Teammate", "email": None}


def _ip(admin_id: str) -> str:
    """A stable address per admin (documentation range 198.51.100.0/24)."""
    return f"198.51.100.{int(admin_id) % 254 + 1}"


def _new_id(world: World) -> str:
    """A UUID like real entries' ids, numbered in a series of its own (no random draw)."""
    number = world.next_number("activity_log", 0)
    bits = random.Random(f"{world.cfg.seed}:activity_log_id:{number}").getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


def log_activity(
    world: World,
    at: int,
    admin_id: str,
    activity_type: str,
    description: str,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one activity of `admin_id` at `at` (its description after the admin's name)."""
    admin = _admin(world, admin_id)
    entry = {
        "id": _new_id(world),
        "performed_by": {
            "type": "admin",
            "id": str(admin_id),
            "email": admin.get("email"),
            "ip": _ip(str(admin_id)),
        },
        "metadata": metadata or {},
        "created_at": at,
        "activity_type": activity_type,
        "activity_description": f"{admin.get('name')} {description}",
    }
    world.content.setdefault(KIND, {})[entry["id"]] = entry
    return entry


def _session(world: World, rng: random.Random, at: int) -> bool:
    """An admin signs in, or (less often) out."""
    admin_id = rng.choice(sorted(world.admins))
    if rng.random() < 0.4:
        log_activity(world, at, admin_id, "admin_logout", "logged out")
    else:
        method = rng.choice(SIGN_IN_METHODS)
        metadata = {"sign_in_method": method}
        log_activity(world, at, admin_id, "admin_login_success", "logged in", metadata)
    return True


def _away_mode_change(world: World, rng: random.Random, at: int) -> bool:
    admin_id = rng.choice(sorted(world.admins))
    admin = dict(world.admins[admin_id])  # replaced, not edited: readers may hold the old one
    away = not admin.get("away_mode_enabled", False)
    reassign = away and rng.random() < 0.5
    admin["away_mode_enabled"] = away
    admin["away_mode_reassign"] = reassign
    world.admins[admin_id] = admin
    log_activity(
        world,
        at,
        admin_id,
        "admin_away_mode_change",
        "changed their away mode" if away else "came back from away mode",
        {
            "away_mode": away,
            "reassign_conversations": reassign,
            "source": f"admin update from web - Admin id: {admin_id}",
            "auto_changed": "false",
            "update_by": int(admin_id),
            "update_by_name": admin.get("name"),
        },
    )
    return True


CHANGES = {"admin_session": _session, "admin_away_mode_change": _away_mode_change}


def generate_activity_logs(world: World) -> None:
    """The log of a new world's history: joins early on, then sign-ins and sign-outs."""
    rng = random.Random(f"{world.cfg.seed}:{KIND}")
    end = world.cfg.start_time
    begin = end - world.knobs["history_days"] * DAY
    world.content.setdefault(KIND, {})
    events: list[tuple[int, str, str]] = []
    for admin_id in sorted(world.admins):
        events.append((rng.randrange(begin, begin + (end - begin) // 10), admin_id, "join"))
    for _ in range(int(HISTORY_SESSIONS_PER_DAY * world.knobs["history_days"])):
        at = rng.randrange(begin + DAY, end - DAY)
        admin_id = rng.choice(sorted(world.admins))
        events.append((at, admin_id, rng.choice(SIGN_IN_METHODS)))
        events.append((at + rng.randrange(3600, 9 * 3600), admin_id, "logout"))
    for at, admin_id, what in sorted(events):
        if what == "join":
            log_activity(world, at, admin_id, "app_admin_join", "joined the workspace")
        elif what == "logout":
            log_activity(world, at, admin_id, "admin_logout", "logged out")
        else:
            log_activity(
                world, at, admin_id, "admin_login_success", "logged in", {"sign_in_method": what}
            )


def advance_activity_logs(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    """Sign-ins/outs and away-mode changes over ``(start, end]`` (a stream of its own)."""
    if end <= start:
        return {}
    return apply_daily_changes(world, KIND, start, end, intensity, DAILY_CHANGES, CHANGES)


@cache
def event_types() -> tuple[str, ...]:
    """What `GET /admins/activity_log_event_types` (2.16) lists: the 2.16 spec's
    `activity_type` enum, in its order (the endpoint's example is an older, shorter list)."""
    from emulator.specs import load_spec

    schema = load_spec("2.16")["components"]["schemas"]["activity_log"]
    return tuple(schema["properties"]["activity_type"]["enum"])
