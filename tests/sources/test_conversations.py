"""The `conversations` resource against the emulator over HTTP: full sync equals the world's
truth (conversations, parts, link tables), incremental runs converge after activity, parts
outside the API's newest-500 window are kept, a quiet run fetches nothing, and records
changed while we page are not lost."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.world import factory, ops
from emulator.world.activity import advance, touch
from sources.intercom.client import IntercomClient
from sources.intercom.schema import table_columns
from tests.helpers.truth import by_id, mismatches, pairs, settle, truth, unix

RESOURCES = ["conversations"]
LINKS = {
    "conversations__contacts": "contact_id",
    "conversations__tags": "tag_id",
    "conversations__teammates": "admin_id",
}
DETAIL = "GET /conversations/{id}"
SEARCH = "POST /conversations/search"


@pytest.fixture
def emu(emulator):
    return emulator(seed=11)


def assert_converged(emu, rows, *, ignore: tuple[str, ...] = ()) -> None:
    """The warehouse holds the world's conversations (plus the rows of deleted ones, which
    stay) with the truth's field values, their links, and every part the API shows.
    `ignore`: truth fields served differently by the API version under test."""
    loaded = rows("conversations")
    assert len(loaded) == len(by_id(loaded)), "one row per conversation id"
    deleted = {row["id"] for row in truth(emu, "conversations_deleted")}
    expected = [
        {k: v for k, v in row.items() if k not in ignore} for row in truth(emu, "conversations")
    ]
    assert mismatches([r for r in loaded if r["id"] not in deleted], expected) == []
    for table, column in LINKS.items():
        live = {
            pair for pair in pairs(rows(table), "conversation_id", column) if pair[0] not in deleted
        }
        assert live == pairs(truth(emu, table), "conversation_id", column), table
    parts = rows("conversation_parts")
    assert len(parts) == len(by_id(parts)), "one row per part id"
    visible = [part for part in truth(emu, "conversation_parts") if part["visible"]]
    shown = {part["id"] for part in visible}
    assert mismatches([p for p in parts if p["id"] in shown], visible) == []


def detail_requests(emu) -> int:
    return emu.control.stats.snapshot()["endpoints"].get(DETAIL, {}).get("200", 0)


def test_full_sync_equals_truth(emu, sync, rows) -> None:
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    # Every part of the world is visible here only if the API shows it; nothing extra loaded.
    truth_parts = {p["id"] for p in truth(emu, "conversation_parts") if p["visible"]}
    assert {p["id"] for p in rows("conversation_parts")} == truth_parts


def test_bookkeeping_columns_and_link_tables(emu, sync, pipeline) -> None:
    sync(emu, resources=RESOURCES)
    schema = pipeline().default_schema
    conversations = schema.get_table_columns("conversations")
    assert conversations["updated_at"]["data_type"] == "timestamp"
    assert conversations["statistics__time_to_admin_reply"]["data_type"] == "bigint"
    assert conversations["parts_total_count"]["data_type"] == "bigint"
    assert conversations["parts_truncated"]["data_type"] == "bool"
    for table in LINKS:
        assert schema.tables[table]["parent"] == "conversations"


@pytest.mark.parametrize("api_version", ["2.9", "2.16"])
def test_version_shapes_land_in_stable_columns(emulator, sync, rows, pipeline, api_version) -> None:
    emu = emulator(seed=11, api_version=api_version)
    sync(emu, resources=RESOURCES)
    # (assignee ids are compared below: 2.9 serves null where the truth holds 0)
    assert_converged(emu, rows, ignore=("admin_assignee_id", "team_assignee_id"))
    schema = pipeline().default_schema
    for table in ("conversations", "conversation_parts"):
        columns = schema.get_table_columns(table)
        for name, hint in table_columns(table, api_version).items():
            assert columns[name]["data_type"] == hint["data_type"], (table, name)
    # Unassigned: 0 on 2.16, null before (API-NOTES §6); both land as NULL in the text column
    # (an id '0' would count as assigned and join to no admin).
    loaded = by_id(rows("conversations"))
    for want in truth(emu, "conversations"):
        for column in ("admin_assignee_id", "team_assignee_id"):
            expected = want[column] or None
            got = loaded[want["id"]][column]
            assert got == (str(expected) if expected is not None else None), (want["id"], column)
    priorities = {row["priority"] for row in loaded.values()}
    allowed = (
        {"priority", "not_priority"}
        if api_version == "2.9"
        else {"none", "low", "medium", "high", "urgent"}
    )
    assert priorities <= allowed


def test_incremental_runs_converge_and_keep_old_parts(emu, sync, rows, loaded) -> None:
    sync(emu, resources=RESOURCES)
    before = {p["id"] for p in rows("conversation_parts")}
    deleted = 0
    for _ in range(3):
        summary = emu.advance(8 * 3600, intensity=3)
        assert summary.get("conversation_part_added"), summary
        deleted += summary.get("conversation_deleted", 0)
        sync(emu, resources=RESOURCES)
        assert_converged(emu, rows)
        after = {p["id"] for p in rows("conversation_parts")}
        assert before <= after  # parts are never deleted
        before = after
    assert deleted, "some conversations were deleted on the way"


def touch_conversations(emu, n: int) -> set[str]:
    """Change `n` conversations in the current second of the (frozen) data clock."""
    changed: set[str] = set()
    with emu.control.lock:
        for _ in range(50 * n):
            changed |= {id for entity, id in touch(emu.world, 1) if entity == "conversations"}
            if len(changed) >= n:
                return changed
    raise AssertionError("touch never picked a conversation")


def test_same_second_updates_are_not_missed(emu, sync, rows) -> None:
    touch_conversations(emu, 2)
    sync(emu, resources=RESOURCES)
    # The cursor now stands on this very second; more changes in the same second must load.
    later = touch_conversations(emu, 3)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    assert later <= {row["id"] for row in rows("conversations")}


def test_records_late_in_the_search_index_are_not_missed(emulator, sync, rows) -> None:
    # New conversations stay out of search for 10 minutes while other conversations keep
    # changing and move the cursor past their updated_at.
    emu = emulator(seed=11, index_lag_seconds=600)
    sync(emu, resources=RESOURCES)
    created = 0
    for _ in range(5):
        created += emu.advance(180, intensity=100).get("conversation_created", 0)
        sync(emu, resources=RESOURCES)
    assert created, "the busy world should create conversations"
    emu.advance(900, intensity=0)  # all indexed now, long after the cursor passed them
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)


def test_contact_merge_moves_conversation_links(emu, sync, rows) -> None:
    sync(emu, resources=RESOURCES)
    world = emu.world
    contacts = [world.contacts.get(id) for id in world.contacts.ids()]
    lead = next(
        c for c in contacts if c["role"] == "lead" and world.conversation_ids_of_contact(c["id"])
    )
    user = next(c for c in contacts if c["role"] == "user")
    moved = set(world.conversation_ids_of_contact(lead["id"]))
    with emu.control.lock:
        ops.merge_contacts(world, lead["id"], user["id"], world.now + 1)
        world.now += 1
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    links = pairs(rows("conversations__contacts"), "conversation_id", "contact_id")
    for conversation_id in moved:
        assert (conversation_id, user["id"]) in links
        assert (conversation_id, lead["id"]) not in links


def test_start_date_bounds_the_first_run(emu, sync, rows) -> None:
    updated = sorted(c["updated_at"] for c in truth(emu, "conversations"))
    start = updated[len(updated) // 2]
    start_date = dt.datetime.fromtimestamp(start, dt.timezone.utc).isoformat()
    sync(emu, resources=RESOURCES, start_date=start_date)
    expected = {c["id"] for c in truth(emu, "conversations") if c["updated_at"] >= start}
    assert {row["id"] for row in rows("conversations")} == expected
    assert {p["conversation_id"] for p in rows("conversation_parts")} <= expected


def test_run_without_change_fetches_and_loads_nothing(emu, sync, loaded) -> None:
    settle(emu)  # versions read during their own second are loaded again once (cursor.py)
    sync(emu, resources=RESOURCES)
    assert loaded()["conversations"] > 0
    assert detail_requests(emu) == len(truth(emu, "conversations"))
    emu.control.stats.reset()
    sync(emu, resources=RESOURCES)
    endpoints = emu.control.stats.snapshot()["endpoints"]
    assert DETAIL not in endpoints
    assert set(endpoints) <= {SEARCH, "GET /conversations/deleted"}
    assert loaded()["conversations"] == 0
    assert loaded()["conversation_parts"] == 0
    assert loaded()["conversations_deleted"] == 0


def test_changes_during_pagination_are_not_lost(emu, sync, rows) -> None:
    # Touch records after every served page; small pages make many of them.
    emu.control.update({"mutate_during_pagination": 2})
    sync(emu, resources=RESOURCES, page_size=5)
    emu.control.update({"mutate_during_pagination": 0})
    loaded = by_id(rows("conversations"))
    assert len(loaded) == len(rows("conversations")), "each conversation loaded once"
    expected = by_id(truth(emu, "conversations"))
    assert set(loaded) == set(expected)
    now = emu.world.now
    for conversation_id, want in expected.items():
        got = unix(loaded[conversation_id]["updated_at"])
        if want["updated_at"] < now:  # untouched during the run: exactly the current version
            assert got == want["updated_at"], conversation_id
        else:  # touched while we paged: loaded, possibly in the version before the touch
            assert got <= want["updated_at"], conversation_id
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)


def test_conversation_with_more_than_500_parts_is_flagged(emu, sync, rows) -> None:
    counts: dict[str, int] = {}
    for part in truth(emu, "conversation_parts"):
        counts[part["conversation_id"]] = counts.get(part["conversation_id"], 0) + 1
    long_ids = {conversation_id for conversation_id, n in counts.items() if n > 500}
    assert long_ids, "the tiny world keeps one conversation with more than 500 parts"
    sync(emu, resources=RESOURCES)
    conversations = by_id(rows("conversations"))
    parts = rows("conversation_parts")
    for conversation_id in long_ids:
        row = conversations[conversation_id]
        assert row["parts_truncated"] is True
        assert row["parts_total_count"] == counts[conversation_id]
        assert sum(1 for p in parts if p["conversation_id"] == conversation_id) >= 500
    for conversation_id, row in conversations.items():
        if conversation_id not in long_ids:
            assert row["parts_truncated"] is False, conversation_id
            assert row["parts_total_count"] == counts.get(conversation_id, 0), conversation_id


def test_parts_beyond_the_500_window_are_kept(emu, sync, rows) -> None:
    sync(emu, resources=RESOURCES)
    world = emu.world
    long_id = next(
        c["id"] for c in truth(emu, "conversations") if c["count_conversation_parts"] > 500
    )
    first = {p["id"] for p in rows("conversation_parts") if p["conversation_id"] == long_id}
    assert len(first) == 500
    with emu.control.lock:  # 30 new parts push the 30 oldest loaded ones out of the window
        conversation = ops.editable(world.conversations, long_id)
        contacts = [world.contacts.get(ref["id"]) for ref in conversation["contacts"]["contacts"]]
        for _ in range(30):
            world.now += 1
            part = factory.next_conversation_part(
                world, world.rng, conversation, world.now, [c for c in contacts if c]
            )
            ops.append_parts(world, conversation, [part], world.now)
            conversation = ops.editable(world.conversations, long_id)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    hidden = {p["id"] for p in truth(emu, "conversation_parts") if not p["visible"]}
    assert len(first & hidden) == 30  # the API no longer shows them …
    now = {p["id"] for p in rows("conversation_parts") if p["conversation_id"] == long_id}
    assert first < now and len(now) == 530  # … but the warehouse keeps them
    row = by_id(rows("conversations"))[long_id]
    assert row["parts_truncated"] is True
    assert row["parts_total_count"] == len(
        [p for p in truth(emu, "conversation_parts") if p["conversation_id"] == long_id]
    )


def test_converges_through_server_faults(emulator, sync, rows) -> None:
    faults = {"error_rate": 0.1, "drop_rate": 0.03, "malformed_rate": 0.03}
    emu = emulator(seed=14, faults=faults)

    def client() -> IntercomClient:  # quick retries keep the test fast
        return IntercomClient(
            emu.token, base_url=emu.base_url, backoff_base_s=0.01, backoff_max_s=0.05
        )

    sync(emu, resources=RESOURCES, client=client())
    assert_converged(emu, rows)
    emu.advance(8 * 3600, intensity=3)
    sync(emu, resources=RESOURCES, client=client())
    assert_converged(emu, rows)
    served = emu.control.stats.snapshot()["endpoints"][DETAIL]
    assert set(served) - {"200", "404"}, "faults were injected on detail fetches"


def test_custom_attributes_whose_names_share_a_column_keep_both_values(
    emu, sync, rows, pipeline
) -> None:
    """`issue_type` and `Issue Type` set on one conversation: dlt would load both into
    `custom_attributes__issue_type`, one value lost. The name seen first keeps the column, for
    good (the owner is in the resource's state); the other gets a column of its own."""
    from hashlib import sha256

    sync(emu, resources=RESOURCES)
    world = emu.world
    advance(world, 60, intensity=0.0)
    with world.lock:
        both = {}
        for conversation_id in list(world.conversations.ids())[:4]:
            record = ops.editable(world.conversations, conversation_id)
            record["custom_attributes"]["issue_type"] = "Bug"
            record["custom_attributes"]["Issue Type"] = f"crm-{conversation_id}"
            ops.save(world.conversations, record, world.now)
            both[conversation_id] = f"crm-{conversation_id}"
    settle(emu)
    sync(emu, resources=RESOURCES)
    sync(emu, resources=RESOURCES)  # a later run keeps the same owner
    own_column = f"custom_attributes__issue_type_{sha256(b'Issue Type').hexdigest()[:8]}"
    loaded = by_id(rows("conversations"))
    for conversation_id, crm in both.items():
        assert loaded[conversation_id]["custom_attributes__issue_type"] == "Bug"
        assert loaded[conversation_id][own_column] == crm
    owners = pipeline().state["sources"]["intercom"]["resources"]["conversations"]
    assert owners["attribute_columns"]["custom_attributes"]["issue_type"] == "issue_type"
