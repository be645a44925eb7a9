"""contacts__segments: each segment's members, read whole and replaced every run."""

from __future__ import annotations

import math

import pytest

from bench.minimum import _world_counts
from emulator.world import ops
from emulator.world.activity import advance
from tests.helpers.truth import pairs, truth

RESOURCES = ["contacts__segments"]


def searches(emu) -> int:
    return sum(emu.control.stats.snapshot()["endpoints"].get("POST /contacts/search", {}).values())


@pytest.mark.parametrize("api_version", ["2.9", "2.16"])
def test_members_follow_segments_whose_rules_move(emulator, sync, rows, api_version):
    """A contact that leaves a segment without changing (its `updated_at` stays) is gone from
    the table after the next run; one search page per segment (150 members a page)."""
    emu = emulator(api_version=api_version)
    sync(emu, resources=RESOURCES)
    expected = pairs(truth(emu, "contacts__segments"), "contact_id", "segment_id")
    assert expected
    assert pairs(rows("contacts__segments"), "contact_id", "segment_id") == expected
    changes = advance(emu.world, 3 * 24 * 3600)  # members join and leave
    assert changes.get("contact_segment_changed")
    with emu.control.lock:  # and one leaves for sure, without changing
        contact_id, segment_id = sorted(
            pair for pair in pairs(truth(emu, "contacts__segments"), "contact_id", "segment_id")
        )[0]
        contact = ops.editable(emu.world.contacts, contact_id)
        contact["_segment_ids"].remove(segment_id)
        emu.world.contacts.put(contact)
    after = pairs(truth(emu, "contacts__segments"), "contact_id", "segment_id")
    assert (contact_id, segment_id) not in after
    emu.control.stats.reset()
    sync(emu, resources=RESOURCES)
    assert pairs(rows("contacts__segments"), "contact_id", "segment_id") == after
    members: dict[str, int] = {}
    for _, segment_id in after:
        members[segment_id] = members.get(segment_id, 0) + 1
    assert searches(emu) == sum(
        max(1, math.ceil(members.get(s, 0) / 150)) for s in emu.world.segments
    )
    assert searches(emu) == _world_counts(emu.base_url)["segment_member_pages"]  # make bench
