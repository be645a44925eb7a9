"""`GET /conversations/{id}/handling_events` and `/side_conversations` (2.16): consistent with
the conversation's parts, paged like the spec says, grown by `advance`, gone with a deleted
conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from emulator.world.handling import handling_events, iso_timestamp, side_conversations
from emulator.world.ops import delete_conversation
from tests.helpers.http import client, error_code


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with running_emulator(WorldConfig(seed=3, scale="tiny")) as running:
        yield running


def _parts(conversation: dict) -> list[dict]:
    return conversation["conversation_parts"]["conversation_parts"]


def test_handling_events_follow_the_snoozes_of_the_parts(emu: RunningEmulator) -> None:
    http = client(emu, "2.16")
    served = 0
    for conversation in list(emu.world.conversations.values())[:20]:
        events = http.get(f"/conversations/{conversation['id']}/handling_events").json()
        events = events["handling_events"]
        served += len(events)
        snoozes = {
            (iso_timestamp(p["created_at"]), str(p["author"]["id"]))
            for p in _parts(conversation)
            if p["part_type"] == "snoozed" and p["author"]["type"] == "admin"
        }
        for position, event in enumerate(events):
            # paused and resumed alternate, a pause at an admin's snoozed part, by that admin
            assert event["type"] == ("paused", "resumed")[position % 2]
            if event["type"] == "paused":
                assert (event["timestamp"], str(event["teammate"]["id"])) in snoozes
            else:
                assert event["teammate"] == events[position - 1]["teammate"]
                assert event["timestamp"] >= events[position - 1]["timestamp"]
    assert served, "some conversation has handling events"


def test_side_conversations_page_by_per_page(emu: RunningEmulator) -> None:
    http = client(emu, "2.16")
    seed = emu.world.cfg.seed
    conversation = max(
        emu.world.conversations.values(),
        key=lambda c: len(side_conversations(seed, c)),
    )
    expected = side_conversations(seed, conversation)
    assert len(expected) >= 2
    path = f"/conversations/{conversation['id']}/side_conversations"
    first = http.get(path, params={"per_page": 1}).json()
    assert first["type"] == "side_conversation.list"
    assert first["total_count"] == len(expected)
    assert first["pages"]["total_pages"] == len(expected)
    second = http.get(path, params={"per_page": 1, "page": 2}).json()
    assert first["side_conversations"] + second["side_conversations"] == expected[:2]
    for side in expected:
        assert side["total_count"] == len(side["conversation_parts"]) >= 1
        assert all(p["author"]["type"] == "admin" for p in side["conversation_parts"])
    too_many = http.get(path, params={"per_page": 51})
    assert too_many.status_code == 400


def test_unknown_or_deleted_conversation_is_404_and_older_versions_lack_them(
    emu: RunningEmulator,
) -> None:
    http = client(emu, "2.16")
    for tail in ("handling_events", "side_conversations"):
        response = http.get(f"/conversations/1/{tail}")
        assert response.status_code == 404 and error_code(response) == "not_found"
        older = client(emu, "2.15").get(f"/conversations/{emu.world.conversations.ids()[0]}/{tail}")
        assert error_code(older) == "intercom_version_invalid"
    victim = emu.world.conversations.ids()[-1]
    with emu.control.lock:
        delete_conversation(emu.world, victim, emu.world.now, False)
    assert http.get(f"/conversations/{victim}/handling_events").status_code == 404


def test_advance_adds_to_them_without_changing_old_ones(emu: RunningEmulator) -> None:
    seed = emu.world.cfg.seed
    with emu.control.lock:
        before = {
            c["id"]: (handling_events(c), side_conversations(seed, c))
            for c in emu.world.conversations.values()
        }
        emu.advance(3 * 86_400)
        grew = 0
        for conversation in emu.world.conversations.values():
            events, sides = before.get(conversation["id"], ([], []))
            now_events = handling_events(conversation)
            now_sides = side_conversations(seed, conversation)
            # old ones stay as they were (a pause resumed since gains its resume)
            kept = max(len(events) - 1, 0)
            assert now_events[:kept] == events[:kept]
            assert now_sides[: len(sides)] == sides
            grew += len(now_events) > len(events) or len(now_sides) > len(sides)
    assert grew, "advance gave some conversation new handling events or side conversations"
