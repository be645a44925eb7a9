"""World.advance / World.touch: determinism, every kind of change, and consistency after it."""

from __future__ import annotations

from collections import Counter

import pytest

from emulator.world import World, WorldConfig
from emulator.world.activity import HANDLERS, advance, touch
from emulator.world.generate import generate_world
from emulator.world.truth import truth_rows
from tests.helpers.world import (
    check_contact_times,
    check_conversation,
    check_ticket,
    local_day_boundary_hits,
    snapshot,
)


def advanced(seed: int, steps: tuple[int, ...] = (3600, 86400, 7200)) -> tuple[World, list]:
    world = generate_world(WorldConfig(seed=seed, scale="tiny"))
    summaries = []
    for seconds in steps:
        summaries.append(advance(world, seconds))
        summaries.append(touch(world, 3))
    return world, summaries


@pytest.fixture(scope="module")
def two_days() -> tuple[World, World, dict]:
    """A world before and after a two-day advance, plus the summary."""
    before = generate_world(WorldConfig(seed=21, scale="tiny"))
    after = generate_world(WorldConfig(seed=21, scale="tiny"))
    summary = advance(after, 2 * 86400)
    return before, after, summary


def test_same_calls_replay_identically():
    a, summaries_a = advanced(4)
    b, summaries_b = advanced(4)
    assert summaries_a == summaries_b
    assert snapshot(a) == snapshot(b)


def test_different_seed_changes_differently():
    a, summaries_a = advanced(4)
    b, summaries_b = advanced(5)
    assert summaries_a != summaries_b


def test_clock_moves_by_exactly_the_span(two_days):
    before, after, _ = two_days
    assert after.now == before.now + 2 * 86400
    frozen = generate_world(WorldConfig(seed=21, scale="tiny"))
    touch(frozen, 2)
    assert frozen.now == before.now
    assert advance(frozen, 0)["records_changed"] == 0
    quiet = frozen.clone()
    assert advance(frozen, 7 * 86400, intensity=0.0) == {"records_changed": 0}
    assert frozen.now == quiet.now + 7 * 86400
    quiet.now = frozen.now
    assert snapshot(frozen) == snapshot(quiet)  # only the clock moved


def test_every_kind_of_change_happens(two_days):
    _, _, summary = two_days
    assert set(HANDLERS) <= set(summary), set(HANDLERS) - set(summary)
    assert all(summary[k] > 0 for k in HANDLERS)


# Changed without a new `updated_at`: segments are rules, so a contact joins and leaves them
# without a change the API stamps (emulator/world/segment_members.py); and nothing says a
# subscription consent moves it (emulator/world/consents.py).
UNSTAMPED = frozenset(
    {"_segment_ids", "opted_in_subscription_types", "opted_out_subscription_types"}
)


def _served(record: dict) -> dict:
    """A record without what changes unstamped."""
    return {k: v for k, v in record.items() if k not in UNSTAMPED}


def test_changes_are_stamped_inside_the_span(two_days):
    before, after, summary = two_days
    changed = 0
    for name in ("contacts", "companies", "conversations", "tickets"):
        old, new = getattr(before, name), getattr(after, name)
        for id in new.ids():
            updated = new.updated_at(id)
            assert updated <= after.now
            if id not in old or _served(old.get(id)) != _served(new.get(id)):
                changed += 1
                assert before.now < updated, (name, id)
            else:
                assert updated == old.updated_at(id)
    gone = summary["contact_merged"] + summary["conversation_deleted"]
    lookups = summary["tag_created"] + 2 * summary["admin_created"] + summary["segment_updated"]
    assert changed >= summary["records_changed"] - gone - lookups


def test_activity_clusters_at_local_midnight(two_days):
    before, after, _ = two_days
    assert local_day_boundary_hits(after, since=before.now) >= 3


def test_lookup_tables_change_too(two_days):
    before, after, _ = two_days
    assert set(after.tags) > set(before.tags)
    assert set(after.admins) > set(before.admins)
    for admin_id in set(after.admins) - set(before.admins):
        (team_id,) = after.admins[admin_id]["team_ids"]
        assert int(admin_id) in after.teams[str(team_id)]["admin_ids"]
    assert any(
        after.segments[i]["updated_at"] > before.segments[i]["updated_at"] for i in before.segments
    )


def test_same_second_updates_and_bulk_seconds(two_days):
    before, after, _ = two_days
    seconds = Counter(
        after.contacts.updated_at(i)
        for i in after.contacts.ids()
        if after.contacts.updated_at(i) > before.now
    )
    assert max(seconds.values()) >= 3
    closed_together = Counter(
        after.conversations.updated_at(i)
        for i in after.conversations.ids()
        if after.conversations.updated_at(i) > before.now
    )
    assert max(closed_together.values()) >= 4
    bumped_twice = [
        i
        for i in after.contacts.ids()
        if i in before.contacts and after.contacts.version(i) - before.contacts.version(i) >= 2
    ]
    assert bumped_twice


def test_merges_move_everything_to_the_user(two_days):
    before, after, _ = two_days
    new_merges = {k: v for k, v in after.merged_contacts.items() if k not in before.merged_contacts}
    assert new_merges
    for lead_id, (user_id, merged_at) in new_merges.items():
        assert lead_id not in after.contacts
        assert before.contacts.get(lead_id)["role"] == "lead"
        user = after.contacts.get(user_id)
        assert user is not None and user["role"] == "user"
        assert user["updated_at"] >= merged_at
        history = [h for h in user["merge_history"] if h["source_contact_id"] == lead_id]
        assert history == [
            {
                "type": "merge_history",
                "source_contact_id": lead_id,
                "source_contact_role": "lead",
                "merged_at": merged_at,
            }
        ]
        assert after.resolve_merged(lead_id) == user_id
        for conversation_id in before.conversation_ids_of_contact(lead_id):
            if conversation_id in after.conversations:
                conversation = after.conversations.get(conversation_id)
                refs = [c["id"] for c in conversation["contacts"]["contacts"]]
                assert lead_id not in refs and user_id in refs
                assert conversation["updated_at"] >= merged_at
    live_refs = {r["contact_id"] for r in truth_rows(after, "conversations__contacts")}
    assert not live_refs & set(after.merged_contacts)


def test_deletions_leave_tombstones(two_days):
    before, after, _ = two_days
    deleted = set(after.deleted_conversations) - set(before.deleted_conversations)
    assert deleted
    for id in deleted:
        assert id not in after.conversations
        tombstone = after.deleted_conversations[id]
        assert before.now < tombstone["deleted_at"] <= after.now
        assert isinstance(tombstone["metrics_retained"], bool)


def test_derived_fields_stay_consistent(two_days):
    _, after, _ = two_days
    for id in after.conversations.ids():
        check_conversation(after.conversations.get(id), after.now)
    for id in after.tickets.ids():
        check_ticket(after.tickets.get(id), after)
    check_contact_times(after)


def test_company_user_counts_follow_links(two_days):
    _, after, _ = two_days
    links = Counter(row["company_id"] for row in truth_rows(after, "contacts__companies"))
    for company in after.companies.values():
        assert company["user_count"] == links.get(company["id"], 0)


def test_touch_changes_k_records_now():
    world = generate_world(WorldConfig(seed=9, scale="tiny"))
    advance(world, 600)
    versions = {}
    for name in ("contacts", "companies", "conversations", "tickets"):
        store = getattr(world, name)
        versions.update({(name, i): store.version(i) for i in store.ids()})
    changed = touch(world, 7)
    assert len(changed) == 7
    for name, id in changed:
        store = getattr(world, name)
        assert store.updated_at(id) == world.now
        assert store.version(id) > versions[(name, id)]
        assert store.ids_by_updated_at()[-1] == max(
            store.ids_by_updated_at(), key=lambda i: (store.updated_at(i), i)
        )


def test_intensity_scales_activity():
    quiet = advance(generate_world(WorldConfig(seed=2, scale="tiny")), 86400, intensity=0.2)
    busy = advance(generate_world(WorldConfig(seed=2, scale="tiny")), 86400, intensity=3.0)
    assert busy["records_changed"] > quiet["records_changed"]


def test_long_conversations_keep_growing(two_days):
    before, after, _ = two_days
    grown = [
        i
        for i in before.conversations.ids()
        if i in after.conversations
        and before.conversations.get_head(i)["statistics"]["count_conversation_parts"] > 500
        and after.conversations.get_head(i)["statistics"]["count_conversation_parts"]
        > before.conversations.get_head(i)["statistics"]["count_conversation_parts"]
    ]
    assert grown, "the newest-500 window of a long conversation moved"
    hidden_before = {r["id"] for r in truth_rows(before, "conversation_parts") if not r["visible"]}
    hidden_after = {r["id"] for r in truth_rows(after, "conversation_parts") if not r["visible"]}
    assert hidden_after > hidden_before


def test_leads_convert_to_users(two_days):
    before, after, _ = two_days
    converted = [
        i
        for i in before.contacts.ids()
        if i in after.contacts
        and before.contacts.get(i)["role"] == "lead"
        and after.contacts.get(i)["role"] == "user"
    ]
    assert converted
    for i in converted:
        contact = after.contacts.get(i)
        assert contact["external_id"]
        assert before.now < contact["signed_up_at"] <= contact["updated_at"]


def test_redacted_parts_are_bumped(two_days):
    before, after, _ = two_days
    redacted = [
        (c, p)
        for c in after.conversations.values()
        for p in c["conversation_parts"]["conversation_parts"]
        if p["redacted"]
    ]
    assert redacted
    for conversation, part in redacted:
        assert part["body"] is None
        assert before.now < part["updated_at"] <= conversation["updated_at"]
        assert part["updated_at"] > part["created_at"]
