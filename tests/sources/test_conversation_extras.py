"""Opt-in handling events and side conversations (2.16): read in the conversations' pass,
equal to the world's truth after a full sync and after `advance`, replaced per conversation,
flagged with a deleted conversation, absent (and said so) on 2.9."""

from __future__ import annotations

import logging

import pytest

from bench.minimum import _world_counts, opt_in_requests
from emulator.world.activity import advance
from emulator.world.ops import delete_conversation, set_conversation_tag
from sources.intercom.conversation_extras import (
    HANDLING_EVENTS,
    SIDE_CONVERSATIONS,
    event_keys,
)
from sources.intercom.optional import OPTIONAL_RESOURCES, included, split_resources
from tests.helpers.truth import truth, unix

SIDE_PARTS = f"{SIDE_CONVERSATIONS}__conversation_parts"
RESOURCES = ["conversations"]
ALL = list(OPTIONAL_RESOURCES)
# a small world: enough conversations to have snoozes and side conversations
SMALL = {"contacts": 10, "companies": 3, "conversations": 12, "tickets": 2}


def requests(emu, route: str) -> int:
    return emu.control.stats.snapshot()["endpoints"].get(route, {}).get("200", 0)


def expected_events(emu) -> dict[str, dict]:
    """Truth handling events keyed as the sync keys them."""
    by_conversation: dict[str, list[dict]] = {}
    for row in truth(emu, HANDLING_EVENTS):
        by_conversation.setdefault(row["conversation_id"], []).append(row)
    out = {}
    for conversation_id, events in by_conversation.items():
        shaped = [{**e, "teammate": {"id": e["teammate_id"]}} for e in events]
        for key, event in zip(event_keys(conversation_id, shaped), events, strict=True):
            out[key] = event
    return out


def assert_extras_equal_truth(emu, rows) -> None:
    live = [r for r in rows(HANDLING_EVENTS) if r["_deleted_at"] is None]
    want = expected_events(emu)
    assert {r["id"] for r in live} == set(want)
    for row in live:
        event = want[row["id"]]
        assert row["conversation_id"] == event["conversation_id"]
        assert (row["type"], unix(row["timestamp"])) == (event["type"], event["timestamp"])
        assert row["teammate__id"] == event["teammate_id"]
        assert row["reason"] == event["reason"]
    sides = [r for r in rows(SIDE_CONVERSATIONS) if r["_deleted_at"] is None]
    assert {(r["id"], r["conversation_id"], r["total_count"]) for r in sides} == {
        (t["id"], t["conversation_id"], t["total_count"]) for t in truth(emu, SIDE_CONVERSATIONS)
    }
    parts = {(r["id"], r["side_conversation_id"], r["conversation_id"]) for r in rows(SIDE_PARTS)}
    assert parts == {
        (t["id"], t["side_conversation_id"], t["conversation_id"]) for t in truth(emu, SIDE_PARTS)
    }


def test_full_sync_then_advance_equal_truth_in_one_pass(emulator, sync, rows) -> None:
    emu = emulator(seed=5, counts=SMALL)
    sync(emu, resources=RESOURCES, include=ALL)
    assert truth(emu, HANDLING_EVENTS) and truth(emu, SIDE_CONVERSATIONS), "the world has some"
    assert_extras_equal_truth(emu, rows)
    details = requests(emu, "GET /conversations/{id}")
    assert requests(emu, "GET /conversations/{id}/handling_events") == details
    assert requests(emu, "GET /conversations/{id}/side_conversations") == details
    # what the bench counts as the minimum for them
    extra = details * 2  # every conversation of a first sync, no side-conversation page 2
    assert opt_in_requests(_world_counts(emu.base_url), tuple(ALL)) == extra
    with emu.control.lock:
        advance(emu.world, 3 * 86400)
    sync(emu, resources=RESOURCES, include=ALL)
    assert_extras_equal_truth(emu, rows)
    # only the conversations fetched again were read again
    assert requests(emu, "GET /conversations/{id}/handling_events") == requests(
        emu, "GET /conversations/{id}"
    )


def test_off_by_default_costs_nothing(emulator, sync, rows) -> None:
    emu = emulator(seed=5, counts=SMALL)
    sync(emu, resources=RESOURCES)
    assert requests(emu, "GET /conversations/{id}/handling_events") == 0
    assert requests(emu, "GET /conversations/{id}/side_conversations") == 0
    assert rows(HANDLING_EVENTS) == [] and rows(SIDE_CONVERSATIONS) == []


def test_deleted_conversation_rows_are_flagged_with_it(emulator, sync, rows) -> None:
    """(Removed with `deletes="hard"`: the convergence suite's hard-deletes rounds.)"""
    emu = emulator(seed=5, counts=SMALL)
    sync(emu, resources=RESOURCES, include=ALL)
    victim = rows(SIDE_CONVERSATIONS)[0]["conversation_id"]
    with emu.control.lock:
        delete_conversation(emu.world, victim, emu.world.now, False)
    sync(emu, resources=RESOURCES, include=ALL)
    for table in (SIDE_CONVERSATIONS, HANDLING_EVENTS):
        of_victim = [r for r in rows(table) if r["conversation_id"] == victim]
        if table == SIDE_CONVERSATIONS or of_victim:
            assert of_victim and all(r["_deleted_at"] is not None for r in of_victim), table
    assert_extras_equal_truth(emu, rows)


def test_rows_the_api_stops_listing_are_flagged(emulator, sync, rows, monkeypatch) -> None:
    """Replaced per conversation: a side conversation gone from a re-fetched conversation's
    list does not stay live."""
    import emulator.world.handling as handling

    emu = emulator(seed=5, counts=SMALL)
    sync(emu, resources=RESOURCES, include=ALL)
    sides = rows(SIDE_CONVERSATIONS)
    conversation_id = sides[0]["conversation_id"]
    monkeypatch.setattr(handling, "SIDE_CONVERSATION_SHARE", 0.0)  # the world drops them all
    with emu.control.lock:
        set_conversation_tag(emu.world, conversation_id, sorted(emu.world.tags)[0], emu.world.now)
    sync(emu, resources=RESOURCES, include=ALL)
    left = [r for r in rows(SIDE_CONVERSATIONS) if r["conversation_id"] == conversation_id]
    assert left and all(r["_deleted_at"] is not None for r in left)


def test_not_on_2_9_and_said_so(emulator, sync, rows, caplog) -> None:
    emu = emulator(api_version="2.9", seed=5, counts=SMALL)
    with caplog.at_level(logging.WARNING):
        sync(emu, resources=RESOURCES, include=ALL)
    assert any(
        "skipped: conversation_handling_events, conversation_side_conversations" in r.message
        for r in caplog.records
    )
    assert rows(HANDLING_EVENTS) == [] and rows("conversations")


def test_include_names_are_checked_and_resources_name_them() -> None:
    assert included(None) == frozenset()
    assert included("conversation_handling_events, ") == {"conversation_handling_events"}
    with pytest.raises(ValueError, match="choose from conversation_handling_events"):
        included(["handling"])
    assert split_resources(["tags", "conversation_side_conversations", "conversations"]) == (
        ["tags", "conversations"],
        frozenset({"conversation_side_conversations"}),
    )


def test_event_keys_are_stable_and_unique() -> None:
    event = {"type": "paused", "timestamp": "2026-01-09T09:00:00Z", "teammate": {"id": 7}}
    keys = event_keys("12", [event, {**event, "type": "resumed"}, event])
    assert keys == ["12:1767949200:paused:7", "12:1767949200:resumed:7", "12:1767949200:paused:7:1"]
