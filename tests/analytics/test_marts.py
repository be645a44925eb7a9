"""Every mart equals the emulator's truth (`emulator.world.metrics`), row for row, column for column."""

from __future__ import annotations

import pytest

from emulator.world.metrics import marts
from tests.helpers.analytics import KEYS, Built, mart_key, same


@pytest.fixture(scope="module")
def truth(built: Built) -> dict[str, dict]:
    return marts(built.world, built.held_part_ids)


@pytest.mark.parametrize("mart", sorted(KEYS))
def test_mart_equals_truth(built: Built, truth: dict[str, dict], mart: str) -> None:
    loaded = {mart_key(r, KEYS[mart]): r for r in built.rows(mart)}
    expected = truth[mart]
    assert expected, f"the truth for {mart} is empty: the test would prove nothing"
    assert sorted(map(str, loaded)) == sorted(map(str, expected))
    columns = set(next(iter(loaded.values())))
    uncovered = columns - set(next(iter(expected.values())))
    assert not uncovered, f"{mart} columns without a truth: {sorted(uncovered)}"
    problems = [
        f"{key}.{column}: warehouse {row[column]!r} != truth {want[column]!r}"
        for key, want in expected.items()
        for row in [loaded[key]]
        for column in want
        if not same(row[column], want[column])
    ]
    assert not problems, f"{len(problems)} differences, first: {problems[:10]}"


def test_scenario_exercises_the_definitions(built: Built, truth: dict[str, dict]) -> None:
    """The world must contain what the definitions are about, or equality proves little."""
    metrics = truth["conversation_metrics"].values()
    assert any(m["is_parts_truncated"] for m in metrics)
    assert sum(m["count_reopens"] for m in metrics) > 0
    assert sum(m["count_assignments"] for m in metrics) > 0
    assert any(m["minutes_to_first_response"] is not None for m in metrics)
    assert any(r["count_closed_conversations"] for r in truth["admin_metrics"].values())
    assert any(r["avg_rating"] is not None for r in truth["team_metrics"].values())
    assert any(r["count_resolved_tickets"] for r in truth["ticket_metrics"].values())
    assert built.world.deleted_conversations, "no deleted conversation to exclude"
    assert len(truth["daily_conversation_volume"]) > 30


def test_deleted_conversations_and_merged_contacts_are_excluded(built: Built) -> None:
    conversations = {r["conversation_id"] for r in built.rows("conversation_metrics")}
    assert not conversations & set(built.world.deleted_conversations)
    contacts = {r["contact_id"] for r in built.rows("contact_enhanced")}
    assert not contacts & set(built.world.merged_contacts)


def test_metrics_agree_with_intercoms_own_statistics(built: Built) -> None:
    """Where Intercom reports the same figure (conversation `statistics`), and the warehouse
    holds every part, our part-based metrics must equal it."""
    compared = 0
    for row in built.rows("conversation_metrics"):
        if row["is_parts_truncated"]:
            continue
        stats = built.world.conversations.get(row["conversation_id"])["statistics"]
        assert row["count_reopens"] == stats["count_reopens"]
        assert row["count_assignments"] == stats["count_assignments"]
        assert same(row["first_admin_response_at"], stats["first_admin_reply_at"])
        assert same(row["first_close_at"], stats["first_close_at"])
        assert same(row["last_close_at"], stats["last_close_at"])
        compared += 1
    assert compared > 100


def test_dbt_tests_ran(built: Built) -> None:
    assert built.transform.models >= 30
    assert built.transform.tests >= 50
