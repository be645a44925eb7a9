"""Lookup lists: read in full each run (replace), equal to the emulator's world."""

from __future__ import annotations

import pytest

from sources.intercom.lookups import DATA_ATTRIBUTE_MODELS
from tests.helpers.truth import pairs

LOOKUPS = ["admins", "teams", "tags", "segments", "data_attributes", "ticket_types"]


@pytest.mark.parametrize("api_version", ["2.9", "2.16"])
def test_lookups_equal_the_world_and_are_replaced(emulator, sync, rows, api_version):
    emu = emulator(api_version=api_version)
    world = emu.world
    for _ in range(2):  # the second run replaces, it does not append
        sync(emu, resources=LOOKUPS)
        for table in ("admins", "teams", "tags", "segments", "ticket_types"):
            expected = set(getattr(world, table))
            assert expected, table
            loaded = [r["id"] for r in rows(table)]
            assert sorted(loaded) == sorted(expected), table
        expected_attributes = {
            (model, a["name"])
            for model, items in world.data_attributes.items()
            if model in DATA_ATTRIBUTE_MODELS  # conversation ones type columns, not this table
            for a in items
        }
        got = [(r["model"], r["name"]) for r in rows("data_attributes")]
        assert sorted(got) == sorted(expected_attributes)

    admin_teams = {(a, str(t)) for a, admin in world.admins.items() for t in admin["team_ids"]}
    assert admin_teams
    assert pairs(rows("admins__team_ids"), "admin_id", "team_id") == admin_teams
    team_admins = {(t, str(a)) for t, team in world.teams.items() for a in team["admin_ids"]}
    assert pairs(rows("teams__admin_ids"), "team_id", "admin_id") == team_admins


def test_lookup_columns_are_typed(emulator, sync, pipeline):
    emu = emulator()
    sync(emu, resources=["segments", "data_attributes"])
    schema = pipeline().default_schema
    assert schema.get_table_columns("segments")["created_at"]["data_type"] == "timestamp"
    assert schema.get_table_columns("data_attributes")["custom"]["data_type"] == "bool"
