"""Segment membership changing on its own: a segment is a rule ("seen in the last 30 days"),
so a contact joins or leaves one as time passes without the contact changing — its
`updated_at` stays (the harder case for a sync: only reading each segment's members finds it).

Drawn from a stream of its own (``<seed>:segment_members:<start>:<end>`` per ``advance``
span), so no other draw of a seed changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from emulator.world import ops
from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

# expected membership changes per simulated day, per contact
CHANGES_PER_CONTACT_DAY = 0.01


def advance_segment_members(world: World, start: int, end: int, intensity: float) -> dict:
    if end <= start or intensity <= 0 or not len(world.contacts) or not world.segments:
        return {}
    per_day = {"contact_segment_changed": CHANGES_PER_CONTACT_DAY * len(world.contacts)}
    return apply_daily_changes(
        world, "segment_members", start, end, intensity, per_day, {"contact_segment_changed": _flip}
    )


def _flip(world: World, rng: random.Random, at: int) -> bool:
    """A random contact joins a segment it is not in, or leaves one it is in."""
    contact_id = world.contacts.random_id(rng)
    if contact_id is None:
        return False
    contact = ops.editable(world.contacts, contact_id)
    segment_id = rng.choice(sorted(world.segments))
    members = contact["_segment_ids"]
    if segment_id in members:
        members.remove(segment_id)
    else:
        members.append(segment_id)
    world.contacts.put(contact)  # updated_at unchanged: the rule moved, not the contact
    return True
