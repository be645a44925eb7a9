"""`emulator.world.metrics` (the truth the marts are compared to) agrees with what the world derives
itself: Intercom's conversation `statistics` and states (`emulator.world.derive`)."""

from __future__ import annotations

import pytest

from emulator.world import World, WorldConfig
from emulator.world.activity import advance
from emulator.world.generate import generate_world
from emulator.world.metrics import marts
from emulator.world.truth import truth_rows


@pytest.fixture(scope="module")
def world() -> World:
    world = generate_world(WorldConfig(seed=21, scale="tiny", counts={"conversations": 120}))
    advance(world, 2 * 24 * 3600)
    return world


def test_conversation_truth_equals_intercom_statistics(world: World) -> None:
    metrics = marts(world)["conversation_metrics"]
    enhanced = marts(world)["conversation_enhanced"]
    for conversation in world.conversations.values(with_parts=False):
        stats, m = conversation["statistics"], metrics[conversation["id"]]
        assert m["count_reopens"] == stats["count_reopens"]
        assert m["count_assignments"] == stats["count_assignments"]
        assert m["count_parts_loaded"] == stats["count_conversation_parts"]
        assert not m["is_parts_truncated"]  # every part is known to the world
        assert m["first_admin_response_at"] == stats["first_admin_reply_at"]
        assert m["first_assignment_at"] == stats["first_assignment_at"]
        assert (m["first_close_at"], m["last_close_at"]) == (
            stats["first_close_at"],
            stats["last_close_at"],
        )
        assert enhanced[conversation["id"]]["last_closed_by_id"] == stats["last_closed_by_id"]
        if m["first_admin_response_at"] is not None:
            assert m["minutes_to_first_response"] == stats["time_to_admin_reply"] / 60


def test_daily_backlog_ends_at_the_conversations_not_closed_now(world: World) -> None:
    days = marts(world)["daily_conversation_volume"]
    last = days[max(days)]
    conversations = list(world.conversations.values(with_parts=False))
    assert sum(d["conversations_created"] for d in days.values()) == len(conversations)
    assert last["open_backlog"] == sum(1 for c in conversations if c["state"] != "closed")


def test_truncated_view_differs_from_the_whole_story() -> None:
    """With only the newest 500 parts held, a long conversation is flagged and counts less."""
    world = generate_world(WorldConfig(seed=1, scale="tiny"))
    visible = {p["id"] for p in truth_rows(world, "conversation_parts") if p["visible"]}
    whole = marts(world)["conversation_metrics"]
    held = marts(world, visible)["conversation_metrics"]
    truncated = [cid for cid, m in held.items() if m["is_parts_truncated"]]
    assert truncated
    for cid in truncated:
        assert held[cid]["count_parts_loaded"] == 500 < whole[cid]["count_parts_loaded"]
        assert held[cid]["count_parts_total"] == whole[cid]["count_parts_total"]
