"""The 2.16 deletion feed: tombstones land in `conversations_deleted`, incrementally, while the
deleted conversations' rows stay in `conversations` (dbt staging excludes them)."""

from __future__ import annotations

from tests.sources.conftest import by_id, truth, unix

RESOURCES = ["conversations"]
FEED = "GET /conversations/deleted"


def assert_tombstones(emu, rows) -> None:
    loaded = by_id(rows("conversations_deleted"))
    expected = by_id(truth(emu, "conversations_deleted"))
    assert set(loaded) == set(expected)
    for conversation_id, want in expected.items():
        assert unix(loaded[conversation_id]["deleted_at"]) == want["deleted_at"]
        assert loaded[conversation_id]["metrics_retained"] == want["metrics_retained"]


def test_deletions_land_incrementally(emulator, sync, rows, loaded) -> None:
    emu = emulator(seed=13)
    sync(emu, resources=RESOURCES)
    assert_tombstones(emu, rows)
    synced = {row["id"] for row in rows("conversations")}
    deleted_before = set(emu.world.deleted_conversations)
    for _ in range(4):
        emu.world.advance(12 * 3600)
        if set(emu.world.deleted_conversations) - deleted_before:
            break
    newly_deleted = set(emu.world.deleted_conversations) - deleted_before
    assert newly_deleted, "the world deletes conversations as time passes"
    sync(emu, resources=RESOURCES)
    assert_tombstones(emu, rows)
    assert loaded()["conversations_deleted"] == len(newly_deleted)
    # Rows of conversations loaded before their deletion stay.
    assert synced & newly_deleted <= {row["id"] for row in rows("conversations")}
    # A quiet run reads one feed page and loads no tombstone.
    emu.control.stats.reset()
    sync(emu, resources=RESOURCES)
    assert loaded()["conversations_deleted"] == 0
    assert emu.control.stats.snapshot()["endpoints"][FEED] == {"200": 1}


def test_no_deletion_feed_on_2_9(emulator, sync, rows, pipeline) -> None:
    emu = emulator(seed=13, api_version="2.9")
    sync(emu, resources=RESOURCES)
    assert rows("conversations")
    assert "conversations_deleted" not in pipeline().default_schema.tables
    assert FEED not in emu.control.stats.snapshot()["endpoints"]
