"""`AttributeKeys`: names that dlt would put in one column get one column each, the same
ones from run to run (end to end: test_contacts / test_conversations)."""

from __future__ import annotations

from hashlib import sha256

import pytest

from sources.intercom.attribute_keys import LEGACY_STATE_KEY, STATE_KEY, AttributeKeys
from sources.intercom.naming import column_key, readable_key


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
    """Names whose column dlt's snake_case already names readably are handed over as they
    are (no copy of the object)."""
    keys = AttributeKeys("custom_attributes", {})
    attributes = {"plan_tier": "pro", "Plan tier2": "x", "seatsCount": 3}
    rows = [{"custom_attributes": attributes}]
    keys.apply(rows)
    assert rows[0]["custom_attributes"] is attributes
    assert keys.renames == {}


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("_default_title_", "default_title"),  # dlt: `_default_titlex`
        ("favourite_emoji 🎈", "favourite_emoji"),  # dlt: `favourite_emojix`
        ("Priorité 🔥", "priorite"),  # dlt: `prioritx`
        ("Ünïcode name", "unicode_name"),  # dlt: `_n_code_name`
        ("Plan Tier", "plan_tier"),
        ("planTier", "plan_tier"),
        ("1st contact", "_1st_contact"),  # SQL: no leading digit (as dlt)
        ("a+b", "a_b"),
    ],
)
def test_readable_columns(name: str, column: str) -> None:
    """The naming rule of docs/tables-naming.md: readable, no trailing `x`, and a fixed point
    of dlt's snake_case (dlt keeps it as it is)."""
    assert readable_key(name) == column
    assert column_key(column) == column
    keys = AttributeKeys("custom_attributes", {})
    rows = [{"custom_attributes": {name: 1}}]
    keys.apply(rows)
    assert column_key(next(iter(rows[0]["custom_attributes"]))) == column


def test_a_name_without_letters_gets_a_hashed_column() -> None:
    name = "日本語"
    assert readable_key(name) == f"attribute_{sha256(name.encode()).hexdigest()[:8]}"


def test_legacy_owners_seed_the_new_ones_once() -> None:
    """A pipeline of the previous version kept owners by dlt's column; the first run seeds the
    readable owners from them (in their order) and drops the legacy entry; the migration
    renames the old columns to exactly the columns the run then loads."""
    state = {LEGACY_STATE_KEY: {"custom_attributes": {"favourite_emojix": "favourite_emoji 🎈"}}}
    assert AttributeKeys.legacy_renames(state, "custom_attributes") == {
        "favourite_emojix": "favourite_emoji"
    }
    keys = AttributeKeys.in_state(state, "custom_attributes")
    assert LEGACY_STATE_KEY not in state
    assert keys.key_for("favourite_emoji 🎈") == "favourite_emoji"
    assert state[STATE_KEY]["custom_attributes"] == {"favourite_emoji": "favourite_emoji 🎈"}
