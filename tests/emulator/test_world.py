"""The World/Store contract (shared contract 1) and truth() (shared contract 3)."""

from __future__ import annotations

import pytest

from emulator.world import World, WorldConfig
from emulator.world.activity import advance, touch
from emulator.world.generate import generate_world
from emulator.world.truth import PART_WINDOW, TRUTH_ENTITIES, truth_metrics, truth_rows

CONTRACT_ENTITIES = (
    "contacts companies conversations conversation_parts tickets ticket_parts admins teams tags "
    "segments contacts__tags contacts__companies companies__tags companies__segments "
    "conversations__contacts conversations__tags conversations__teammates tickets__contacts "
    "conversations__topics conversations__linked_objects tickets__linked_objects "
    "conversations_deleted contacts_merged ticket_states away_status_reasons brands "
    "office_hours_schedules office_hours_schedules__office_hours_exceptions content_snippets "
    "internal_articles macros subscription_types help_centers help_center_collections "
    "help_center_sections articles news_items news_items__newsfeed_assignments newsfeeds "
    "admin_activity_logs activity_log_event_types calls contact_notes company_notes "
    "contacts__segments conversation_handling_events conversation_side_conversations "
    "conversation_side_conversations__conversation_parts "
    "contacts__opted_in_subscription_types contacts__opted_out_subscription_types "
    "contacts_unstamped_consents call_transcripts"
).split()


@pytest.fixture(scope="module")
def world() -> World:
    w = generate_world(WorldConfig(seed=1, scale="tiny"))
    advance(w, 6 * 3600)
    return w


def test_contract_attributes(world):
    cfg = world.cfg
    assert world.now == cfg.start_time + 6 * 3600
    assert world.timezone == cfg.timezone == world.app["timezone"]
    assert set(world.app) == {
        "type",
        "id_code",
        "name",
        "region",
        "timezone",
        "created_at",
        "identity_verification",
    }
    assert world.me["email_verified"] is True and world.me["app"] == world.app
    assert world.me["id"] in world.admins
    for lookup in (world.admins, world.teams, world.tags, world.segments, world.ticket_types):
        assert lookup and all(key == value["id"] for key, value in lookup.items())
    assert set(world.data_attributes) == {"contact", "company", "conversation"}
    for admin in world.admins.values():
        for team_id in admin["team_ids"]:
            assert int(admin["id"]) in world.teams[str(team_id)]["admin_ids"]


def test_store_api(world):
    for store in (world.contacts, world.companies, world.conversations, world.tickets):
        ids = store.ids()
        assert len(store) == len(ids) == len(set(ids))
        assert all(i in store for i in ids)
        assert "nope" not in store and store.get("nope") is None
        created = [store.get(i)["created_at"] for i in ids]
        assert created == sorted(created), "creation order"
        by_updated = list(store.ids_by_updated_at())
        keys = [(store.updated_at(i), i) for i in by_updated]
        assert keys == sorted(keys) and set(by_updated) == set(ids)
        for i in ids[:20]:
            record = store.get(i)
            assert record["id"] == i and record["updated_at"] == store.updated_at(i)
            assert store.version(i) >= 1


def test_updated_index_follows_changes():
    world = generate_world(WorldConfig(seed=2, scale="tiny"))
    first = list(world.contacts.ids_by_updated_at())
    advance(world, 3600)
    touch(world, 4)
    after = list(world.contacts.ids_by_updated_at())
    assert after == sorted(world.contacts.ids(), key=lambda i: (world.contacts.updated_at(i), i))
    assert after != first


def test_truth_entities_are_the_contract(world):
    assert set(TRUTH_ENTITIES) == set(CONTRACT_ENTITIES)
    with pytest.raises(ValueError):
        truth_rows(world, "nope")


def test_truth_matches_stores(world):
    for name in ("contacts", "companies", "conversations", "tickets"):
        rows = list(truth_rows(world, name))
        store = getattr(world, name)
        assert [r["id"] for r in rows] == list(store.ids())
        assert all(r["updated_at"] == store.updated_at(r["id"]) for r in rows)
    for name in ("admins", "teams", "tags", "segments"):
        assert {r["id"] for r in truth_rows(world, name)} == set(getattr(world, name))

    tags = {(r["contact_id"], r["tag_id"]) for r in truth_rows(world, "contacts__tags")}
    assert tags == {(c["id"], t["id"]) for c in world.contacts.values() for t in c["tags"]["data"]}
    links = {(r["contact_id"], r["company_id"]) for r in truth_rows(world, "contacts__companies")}
    assert links == {
        (contact_id, company_id)
        for company_id in world.companies.ids()
        for contact_id in world.company_contact_ids(company_id)
    }
    assert {r["id"] for r in truth_rows(world, "conversations_deleted")} == set(
        world.deleted_conversations
    )
    merged = {r["id"]: r for r in truth_rows(world, "contacts_merged")}
    assert merged.keys() == world.merged_contacts.keys()
    assert not merged.keys() & set(world.contacts.ids())
    for entity in CONTRACT_ENTITIES:
        rows = list(truth_rows(world, entity))
        assert rows, f"{entity} is empty in a tiny world after activity"
        if "__" in entity and "id" not in rows[0]:  # a link table (not a nested one)
            parent, child = entity.split("__")
            child_key = {
                "teammates": "admin_id",
                "linked_objects": "linked_object_id",
                "newsfeed_assignments": "newsfeed_id",
                "opted_in_subscription_types": "subscription_type_id",
                "opted_out_subscription_types": "subscription_type_id",
            }.get(child, child.removesuffix("s") + "_id")
            child_key = {"companie_id": "company_id"}.get(child_key, child_key)
            parent_key = {"companies": "company_id"}.get(parent, parent.removesuffix("s") + "_id")
            assert set(rows[0]) == {parent_key, child_key}
            assert len(rows) == len({tuple(r.values()) for r in rows}), "no duplicate links"


def test_part_truth_marks_the_newest_500_visible(world):
    by_conversation: dict[str, list[dict]] = {}
    for row in truth_rows(world, "conversation_parts"):
        by_conversation.setdefault(row["conversation_id"], []).append(row)
    assert by_conversation.keys() <= set(world.conversations.ids())
    long_ones = 0
    for conversation_id, rows in by_conversation.items():
        record = world.conversations.get(conversation_id)
        assert [r["id"] for r in rows] == [
            p["id"] for p in record["conversation_parts"]["conversation_parts"]
        ]
        visible = [r["visible"] for r in rows]
        assert sum(visible) == min(len(rows), PART_WINDOW)
        assert visible == sorted(visible), "hidden parts are the oldest"
        long_ones += len(rows) > PART_WINDOW
    assert long_ones >= 1
    ticket_parts = list(truth_rows(world, "ticket_parts"))
    assert ticket_parts and all(r["ticket_id"] in world.tickets for r in ticket_parts)


def test_records_are_json_and_internal_keys_marked(world):
    import orjson

    for store in (world.contacts, world.companies, world.conversations, world.tickets):
        record = store.get(store.ids()[0])
        orjson.dumps(record)
        internal = [k for k in record if k.startswith("_")]
        assert all(
            k in {"_segment_ids", "_tag_applications", "_snoozes", "_state_id", "_author"}
            for k in internal
        )


def test_extensions_for_the_http_layer(world):
    contact_id = next(
        c["id"] for c in world.contacts.values() if c["notes"]["data"] and c["_segment_ids"]
    )
    notes = world.contact_notes(contact_id)
    assert [n["id"] for n in notes] == [
        n["id"] for n in reversed(world.contacts.get(contact_id)["notes"]["data"])
    ]
    assert all(s in world.segments for s in world.contact_segment_ids(contact_id))
    for state in world.ticket_states.values():
        assert state["category"] in {"submitted", "in_progress", "waiting_on_customer", "resolved"}
    metrics = truth_metrics(world)
    assert metrics["conversations"] == len(world.conversations)
    assert sum(metrics["conversations_by_state"].values()) == len(world.conversations)


def test_medium_and_large_scales_are_known():
    from emulator.world.scales import SCALES

    assert SCALES["medium"]["contacts"] == 100_000 and SCALES["medium"]["companies"] == 20_000
    assert SCALES["medium"]["conversations"] == 50_000 and SCALES["medium"]["tickets"] == 5_000
    assert SCALES["large"]["contacts"] == 1_000_000
    with pytest.raises(ValueError):
        World(WorldConfig(scale="huge"))


@pytest.mark.parametrize("storage", ["dict", "json", "zjson"])
def test_get_head_is_the_record_without_parts(storage):
    world = generate_world(WorldConfig(seed=4, scale="tiny", storage=storage))
    advance(world, 3600)
    for store, key in (
        (world.conversations, "conversation_parts"),
        (world.tickets, "ticket_parts"),
    ):
        for id in store.ids():
            full = dict(store.get(id))
            parts = full.pop(key)
            assert store.get_head(id) == full
            assert list(parts) == ["type", key, "total_count"]
            assert parts["total_count"] == len(parts[key])
    contact_id = world.contacts.ids()[0]
    assert world.contacts.get_head(contact_id) == world.contacts.get(contact_id)


def test_readers_in_other_threads_survive_advance():
    import threading

    world = generate_world(WorldConfig(seed=6, scale="tiny"))
    errors: list[BaseException] = []
    done = threading.Event()

    def read_loop() -> None:
        try:
            while not done.is_set():
                ids = world.contacts.ids_by_updated_at()
                assert len(ids) > 0
                list(truth_rows(world, "contacts_merged"))
                list(truth_rows(world, "conversations_deleted"))
        except BaseException as error:  # reported to the main thread
            errors.append(error)

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for _ in range(5):
            advance(world, 86400)
    finally:
        done.set()
        reader.join()
    assert errors == []
    pairs = [(world.contacts.updated_at(i), i) for i in world.contacts.ids_by_updated_at()]
    assert pairs == sorted((world.contacts.updated_at(i), i) for i in world.contacts.ids())


@pytest.mark.parametrize("storage", ["dict", "zjson"])
def test_clones_and_reused_worlds_are_independent_and_identical(storage):
    from tests.helpers.world import snapshot

    cfg = WorldConfig(seed=12, scale="tiny", storage=storage, counts={"conversations": 80})
    fresh = generate_world(cfg, reuse=False)
    reused = generate_world(cfg)
    again = generate_world(cfg)
    assert reused is not again
    assert snapshot(fresh) == snapshot(reused) == snapshot(again)
    twin = reused.clone()
    assert advance(reused, 2 * 86400) == advance(fresh, 2 * 86400)
    assert touch(reused, 5) == touch(fresh, 5)
    assert snapshot(reused) == snapshot(fresh)
    # neither the clone taken before, nor a newly reused world saw those changes
    assert snapshot(twin) == snapshot(again) == snapshot(generate_world(cfg))
    assert advance(twin, 2 * 86400) == advance(again, 2 * 86400)
    assert touch(twin, 5) == touch(again, 5)
    assert snapshot(twin) == snapshot(again) == snapshot(fresh)


def test_disk_cache_round_trips(tmp_path, monkeypatch):
    from emulator.world import cache as world_cache
    from tests.helpers.world import snapshot

    monkeypatch.setenv(world_cache.ENV_VAR, str(tmp_path))
    cfg = WorldConfig(seed=31, scale="tiny", storage="zjson", counts={"conversations": 70})
    first = generate_world(cfg, reuse=False)
    made = generate_world(cfg)  # generated, then written to the cache
    path = world_cache.path_for(cfg)
    assert path is not None and path.exists()
    loaded = world_cache.load(cfg)
    assert loaded is not None and snapshot(loaded) == snapshot(first) == snapshot(made)
    assert advance(loaded, 86400) == advance(first, 86400)
    assert snapshot(loaded) == snapshot(first)
    path.write_bytes(b"not a pickle")
    assert world_cache.load(cfg) is None  # ignored, the world gets regenerated
