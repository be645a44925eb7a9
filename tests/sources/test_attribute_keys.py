"""`AttributeKeys`: names that dlt would put in one column get one column each, the same
ones from run to run (end to end: test_contacts / test_conversations)."""

from __future__ import annotations

from hashlib import sha256

from sources.intercom.attribute_keys import AttributeKeys


def _suffixed(column: str, name: str) -> str:
    return f"{column}_{sha256(name.encode()).hexdigest()[:8]}"


def test_the_first_name_seen_keeps_the_column_and_later_runs_agree() -> None:
    state: dict = {}
    keys = AttributeKeys.in_state(state, "custom_attributes")
    rows = [
        {"id": "1", "custom_attributes": {"Plan Tier": "a", "seats": 3}},
        {"id": "2", "custom_attributes": {"plan-tier": "b", "Plan Tier": "c"}},
        {"id": "3", "custom_attributes": None},
    ]
    keys.apply(rows)
    renamed = _suffixed("plan_tier", "plan-tier")
    assert rows[0]["custom_attributes"] == {"Plan Tier": "a", "seats": 3}
    assert rows[1]["custom_attributes"] == {renamed: "b", "Plan Tier": "c"}
    assert rows[2]["custom_attributes"] is None

    # The next run, from the committed state, even meeting the names in the other order.
    again = AttributeKeys.in_state(state, "custom_attributes")
    later = [{"custom_attributes": {"plan-tier": "d"}}, {"custom_attributes": {"Plan Tier": "e"}}]
    again.apply(later)
    assert later == [
        {"custom_attributes": {renamed: "d"}},
        {"custom_attributes": {"Plan Tier": "e"}},
    ]
    assert again.key_for("plan_tier") == _suffixed("plan_tier", "plan_tier")


def test_no_collision_changes_nothing() -> None:
    keys = AttributeKeys("custom_attributes", {})
    attributes = {"plan_tier": "pro", "favourite_emoji 🎈": "x"}
    rows = [{"custom_attributes": attributes}]
    keys.apply(rows)
    assert rows[0]["custom_attributes"] is attributes
    assert keys.renames == {}
