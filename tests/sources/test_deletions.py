"""The 2.16 deletion feed: tombstones land in `conversations_deleted`, incrementally, while the
deleted conversations' rows stay in `conversations` (dbt staging excludes them)."""

from __future__ import annotations

import httpx
import orjson

from emulator.world import ops
from sources.intercom.client import IntercomClient
from tests.helpers.truth import by_id, truth, unix

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
    emu.advance(24 * 3600, intensity=5)  # about 5 deletions
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


class DeleteAfterSearch(httpx.BaseTransport):
    """Real HTTP to the emulator; right after the first conversation search page is served,
    the world deletes one of the listed conversations (before we can fetch it)."""

    def __init__(self, emu) -> None:
        self.emu = emu
        self.inner = httpx.HTTPTransport()
        self.deleted: str | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.deleted is None and request.url.path == "/conversations/search":
            response.read()
            listed = orjson.loads(response.content)["conversations"]
            self.deleted = listed[0]["id"]
            with self.emu.control.lock:
                world = self.emu.world
                ops.delete_conversation(world, self.deleted, world.now, metrics_retained=False)
        return response


def test_conversation_deleted_between_search_and_fetch(emulator, sync, rows) -> None:
    emu = emulator(seed=13)
    transport = DeleteAfterSearch(emu)
    client = IntercomClient(emu.token, base_url=emu.base_url, transport=transport)
    sync(emu, resources=RESOURCES, client=client)  # the 404 is not an error
    assert transport.deleted is not None
    stats = emu.control.stats.snapshot()["endpoints"]["GET /conversations/{id}"]
    assert stats.get("404") == 1
    assert transport.deleted not in {row["id"] for row in rows("conversations")}
    assert_tombstones(emu, rows)
    assert transport.deleted in {row["id"] for row in rows("conversations_deleted")}


class FeedFromOlderVersion(httpx.BaseTransport):
    """Asks for the deletion feed with version 2.15, where the emulator (as Intercom) answers
    400 `intercom_version_invalid`: a workspace where the feed is not available."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/conversations/deleted":
            request.headers["Intercom-Version"] = "2.15"
        return self.inner.handle_request(request)


def test_feed_not_available_is_a_warning_not_a_failure(emulator, sync, rows) -> None:
    emu = emulator(seed=13)
    client = IntercomClient(emu.token, base_url=emu.base_url, transport=FeedFromOlderVersion())
    sync(emu, resources=RESOURCES, client=client)
    assert emu.control.stats.snapshot()["endpoints"][FEED] == {"400": 1}
    assert rows("conversations")
    assert not rows("conversations_deleted")


def test_incremental_feed_stops_at_the_first_page_older_than_the_cursor(
    emulator, sync, rows, loaded
) -> None:
    emu = emulator(seed=15, counts={"conversations": 150})
    world = emu.world

    def delete(n: int, every: int) -> None:
        with emu.control.lock:
            for conversation_id in list(world.conversations.ids())[:n]:
                world.now += every
                ops.delete_conversation(world, conversation_id, world.now, metrics_retained=True)

    delete(130, every=600)  # 130 deletions, one per 10 minutes: 3 pages of 60
    sync(emu, resources=RESOURCES)
    assert_tombstones(emu, rows)
    assert emu.control.stats.snapshot()["endpoints"][FEED]["200"] == 3
    emu.control.stats.reset()
    delete(5, every=60)
    sync(emu, resources=RESOURCES)
    assert_tombstones(emu, rows)
    assert loaded()["conversations_deleted"] == 5
    # Newest first: the first page already reaches below the cursor's lookback.
    assert emu.control.stats.snapshot()["endpoints"][FEED] == {"200": 1}
