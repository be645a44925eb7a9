"""contacts: full and incremental syncs over HTTP converge to the emulator's truth."""

from __future__ import annotations

import datetime as dt

import pytest

from sources.intercom.windows import day_start, local_date
from tests.sources.conftest import mismatches, pairs, truth

VERSIONS = ["2.9", "2.16"]
LINKS = {"contacts__tags": "tag_id", "contacts__companies": "company_id"}


def assert_converged(emu, rows) -> None:
    assert mismatches(rows("contacts"), truth(emu, "contacts")) == []
    for table, column in LINKS.items():
        assert pairs(rows(table), "contact_id", column) == pairs(
            truth(emu, table), "contact_id", column
        ), table


@pytest.mark.parametrize("api_version", VERSIONS)
def test_full_sync_equals_truth_including_long_tag_and_company_lists(
    emulator, sync, rows, api_version
):
    emu = emulator(api_version=api_version)
    long_lists = [
        table
        for table in LINKS
        if max(
            sum(1 for r in truth(emu, table) if r["contact_id"] == cid)
            for cid in {r["contact_id"] for r in truth(emu, table)}
        )
        > 10
    ]
    assert sorted(long_lists) == sorted(LINKS)  # the world has has_more lists to complete
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)


@pytest.mark.parametrize("api_version", VERSIONS)
def test_incremental_runs_converge_and_an_idle_run_loads_nothing(
    emulator, sync, rows, loaded, api_version
):
    emu = emulator(api_version=api_version)
    sync(emu, resources=["contacts"])
    for hours in (3, 30):
        summary = emu.world.advance(hours * 3600)
        assert any(summary.values())
        emu.world.touch(5)
        sync(emu, resources=["contacts"])
        assert_converged(emu, rows)
    sync(emu, resources=["contacts"])
    assert loaded()["contacts"] == 0


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_same_second_and_day_boundary_updates_are_loaded(emulator, sync, rows, loaded, tz):
    emu = emulator(timezone=tz, seed=5)
    world = emu.world
    sync(emu, resources=["contacts"])
    # Change records in the same second as the cursor, twice.
    world.touch(4)
    sync(emu, resources=["contacts"])
    world.touch(4)  # the data clock did not move: same second as the cursor
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)
    # Now straddle the workspace's local midnight: the last second of a local day, then the
    # first second of the next one (contact search compares these by local day).
    next_midnight = day_start(local_date(world.now, tz) + dt.timedelta(days=1), tz)
    world.advance(next_midnight - world.now - 1)
    world.touch(4)
    sync(emu, resources=["contacts"])
    world.advance(1)
    assert world.now == next_midnight
    world.touch(4)
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)
    sync(emu, resources=["contacts"])
    assert loaded()["contacts"] == 0


def test_records_that_reach_the_search_index_late_are_still_loaded(emulator, sync, rows):
    emu = emulator(index_lag_seconds=1800)
    world = emu.world
    sync(emu, resources=["contacts"])
    world.advance(3600)  # creates contacts; those of the last 30 min are not searchable yet
    sync(emu, resources=["contacts"])
    loaded_ids = {r["id"] for r in rows("contacts")}
    lagging = [r for r in truth(emu, "contacts") if r["id"] not in loaded_ids]
    assert lagging, "the scenario needs contacts still missing from the search index"
    world.advance(1800, intensity=0.0)  # they appear now, with updated_at below our cursor
    sync(emu, resources=["contacts"])
    assert {r["id"] for r in lagging} <= {r["id"] for r in rows("contacts")}
    assert_converged(emu, rows)


def test_updates_during_pagination_lose_nothing(emulator, sync, rows):
    emu = emulator(mutate_during_pagination=2)
    before = {r["id"] for r in truth(emu, "contacts")}
    sync(emu, resources=["contacts"], page_size=25)
    # Every record that existed before the run was loaded, though many moved mid-run.
    assert before <= {r["id"] for r in rows("contacts")}
    emu.control.update({"mutate_during_pagination": 0})
    sync(emu, resources=["contacts"], page_size=25)
    assert_converged(emu, rows)


def test_merges_are_recorded_on_2_16(emulator, sync, rows):
    emu = emulator(api_version="2.16")
    sync(emu, resources=["contacts"])
    for _ in range(4):
        emu.world.advance(12 * 3600)
        sync(emu, resources=["contacts"])
    expected = truth(emu, "contacts_merged")
    assert expected, "the scenario needs merges"
    assert mismatches(rows("contacts_merged"), expected) == []
    assert_converged(emu, rows)


def test_column_types_are_declared(emulator, sync, pipeline):
    emu = emulator(api_version="2.16")
    sync(emu, resources=["contacts"])
    columns = pipeline().default_schema.get_table_columns("contacts")
    for name in ("updated_at", "created_at", "signed_up_at", "last_seen_at", "last_replied_at"):
        assert columns[name]["data_type"] == "timestamp", name
    expected = {"string": "text", "integer": "bigint", "float": "double", "boolean": "bool"}
    expected["date"] = "timestamp"
    custom = [a for a in emu.world.data_attributes["contact"] if a.get("custom")]
    assert custom
    naming = pipeline().default_schema.naming
    for attribute in custom:
        column = naming.normalize_path(f"custom_attributes__{attribute['name']}")
        assert columns[column]["data_type"] == expected[attribute["data_type"]], column
    with pipeline().sql_client() as client:
        types = dict(
            client.execute_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'contacts' AND table_schema = %s",
                client.dataset_name,
            )
        )
    assert types["updated_at"].startswith("TIMESTAMP")
