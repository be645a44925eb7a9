"""contacts: full and incremental syncs over HTTP converge to the emulator's truth."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import httpx
import pytest

from emulator.world import ops
from emulator.world.activity import advance, touch
from sources.intercom import contacts as contacts_module
from sources.intercom.schema import custom_attribute_column_name, table_columns
from sources.intercom.settings import SEARCH_LAG_SECONDS
from sources.intercom.windows import day_start, local_date
from tests.helpers.truth import mismatches, pairs, settle, truth, unix

VERSIONS = ["2.9", "2.16"]
LINKS = {"contacts__tags": "tag_id", "contacts__companies": "company_id"}
CONSENTS = ("contacts__opted_in_subscription_types", "contacts__opted_out_subscription_types")
SUBSCRIPTIONS_ROUTE = "GET /contacts/{id}/subscriptions"


def assert_converged(emu, rows) -> None:
    """The warehouse equals the truth, except merged-away contacts: their rows stay (as the
    contract says; on 2.16 `contacts_merged` lists them, on 2.9 the API never tells)."""
    merged = set(emu.world.merged_contacts)
    live = [r for r in rows("contacts") if r["id"] not in merged]
    assert mismatches(live, truth(emu, "contacts")) == []
    for table, column in LINKS.items():
        got = {p for p in pairs(rows(table), "contact_id", column) if p[0] not in merged}
        assert got == pairs(truth(emu, table), "contact_id", column), table
    if emu.api_version == "2.16":
        stale = {r["id"] for r in rows("contacts")} - {r["id"] for r in truth(emu, "contacts")}
        assert stale <= {r["id"] for r in rows("contacts_merged")}


@pytest.mark.parametrize("api_version", VERSIONS)
def test_full_sync_equals_truth_including_long_tag_company_and_consent_lists(
    emulator, sync, rows, api_version
):
    # 24 subscription types (12 of each consent type): the first user chose on all of them,
    # more than the 10 a contact embeds
    emu = emulator(api_version=api_version, counts={"subscription_types": 24})
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
    heavy = set()
    for table in CONSENTS:
        per_contact = Counter(r["contact_id"] for r in truth(emu, table))
        assert per_contact and max(per_contact.values()) > 10, table
        heavy |= {c for c, n in per_contact.items() if n > 10}
    emu.control.stats.reset()
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)
    for table in CONSENTS:
        loaded_rows = rows(table)
        assert all(r["contact_id"] for r in loaded_rows)
        got = pairs(loaded_rows, "contact_id", "subscription_type_id")
        assert got == pairs(truth(emu, table), "contact_id", "subscription_type_id"), table
    # complete embedded consent lists cost nothing: one read per contact with a truncated one
    reads = emu.control.stats.snapshot()["endpoints"].get(SUBSCRIPTIONS_ROUTE, {})
    assert sum(reads.values()) == len(heavy)


@pytest.mark.parametrize("api_version", VERSIONS)
def test_incremental_runs_converge_and_an_idle_run_loads_nothing(
    emulator, sync, rows, loaded, api_version
):
    emu = emulator(api_version=api_version)
    sync(emu, resources=["contacts"])
    for hours in (3, 30):
        summary = advance(emu.world, hours * 3600)
        assert any(summary.values())
        touch(emu.world, 5)
        sync(emu, resources=["contacts"])
        assert_converged(emu, rows)
    settle(emu)  # versions read during their own second load once more
    sync(emu, resources=["contacts"])
    sync(emu, resources=["contacts"])
    assert loaded()["contacts"] == 0


@pytest.mark.parametrize(
    ("tz", "start_time"),
    [
        ("Pacific/Kiritimati", 1_767_225_600),  # UTC+14
        ("Pacific/Pago_Pago", 1_767_225_600),  # UTC-11
        ("Europe/London", 1_774_699_200),  # the next local day is 23 h long (DST starts)
    ],
)
def test_same_second_and_day_boundary_updates_are_loaded(
    emulator, sync, rows, loaded, tz, start_time
):
    emu = emulator(timezone=tz, start_time=start_time, seed=5)
    world = emu.world
    sync(emu, resources=["contacts"])
    # Change records in the same second as the cursor, twice.
    touch(world, 4)
    sync(emu, resources=["contacts"])
    touch(world, 4)  # the data clock did not move: same second as the cursor
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)
    # Now straddle the workspace's local midnight: the last second of a local day, then the
    # first second of the next one (contact search compares these by local day).
    next_midnight = day_start(local_date(world.now, tz) + dt.timedelta(days=1), tz)
    advance(world, next_midnight - world.now - 1)
    touch(world, 4)
    sync(emu, resources=["contacts"])
    advance(world, 1)
    assert world.now == next_midnight
    touch(world, 4)
    sync(emu, resources=["contacts"])
    assert_converged(emu, rows)
    settle(emu)  # versions read during their own second load once more
    sync(emu, resources=["contacts"])
    sync(emu, resources=["contacts"])
    assert loaded()["contacts"] == 0


def test_records_that_reach_the_search_index_late_are_still_loaded(emulator, sync, rows):
    lag = SEARCH_LAG_SECONDS // 2  # Intercom: "a few minutes"; the allowance is 2 h
    emu = emulator(index_lag_seconds=lag)
    world = emu.world
    sync(emu, resources=["contacts"])
    advance(world, 24 * 3600, intensity=5.0)  # new contacts of the last hour: not searchable yet
    sync(emu, resources=["contacts"])
    loaded = rows("contacts")
    cursor = max(unix(r["updated_at"]) for r in loaded)
    lagging = [r for r in truth(emu, "contacts") if r["id"] not in {x["id"] for x in loaded}]
    # They will show up with an updated_at *below* what we already loaded.
    assert any(r["updated_at"] < cursor for r in lagging), "scenario needs late records"
    advance(world, lag, intensity=0.0)  # now they are indexed
    sync(emu, resources=["contacts"])
    assert {r["id"] for r in lagging} <= {r["id"] for r in rows("contacts")}
    assert_converged(emu, rows)


def _contact_searches(emu) -> int:
    return sum(emu.control.stats.snapshot()["endpoints"].get("POST /contacts/search", {}).values())


def test_an_idle_run_reads_only_the_lag_allowance_not_the_local_day(emulator, sync, loaded):
    """Search filters contacts by local day, but sorts to the second: an incremental run
    reads newest first and stops below `cursor - SEARCH_LAG_SECONDS`, instead of paging the
    cursor's whole local day (and the safety day) again."""
    emu = emulator(seed=7, scale="small")
    sync(emu, resources=["contacts"])
    settle(emu)
    sync(emu, resources=["contacts"])  # versions read in their own second, once more
    updated = [r["updated_at"] for r in truth(emu, "contacts")]
    cursor = max(updated)
    recent = sum(1 for u in updated if u >= cursor - SEARCH_LAG_SECONDS)
    window = contacts_module.contact_window(cursor, emu.world.timezone)
    in_window = sum(1 for u in updated if u > window.after)
    page = 10
    assert in_window // page > recent // page + 1, "the day window must hold more pages"
    before = _contact_searches(emu)
    sync(emu, resources=["contacts"], page_size=page)
    assert loaded()["contacts"] == 0
    assert _contact_searches(emu) - before == recent // page + 1


def test_an_incremental_backlog_switches_to_the_sliced_window_and_converges(
    emulator, sync, rows, loaded, monkeypatch, caplog
):
    emu = emulator(seed=8, scale="small")
    sync(emu, resources=["contacts"])
    advance(emu.world, 20 * 3600, intensity=4.0)
    # A backlog is "more than this many full pages" newest first; make a day's changes one.
    monkeypatch.setattr(contacts_module, "CONTACT_NEWEST_FIRST_MAX_PAGES", 1)
    with caplog.at_level(logging.INFO, logger=contacts_module.__name__):
        sync(emu, resources=["contacts"], page_size=50)
    assert "slice(s)" in caplog.text  # the whole window was read after the newest pages
    assert_converged(emu, rows)
    settle(emu)
    sync(emu, resources=["contacts"])
    sync(emu, resources=["contacts"])
    assert loaded()["contacts"] == 0


def test_updates_during_pagination_lose_nothing(emulator, sync, rows):
    emu = emulator(mutate_during_pagination=2)
    before = {r["id"] for r in truth(emu, "contacts")}
    sync(emu, resources=["contacts"], page_size=25)
    # Every record that existed before the run was loaded, though many moved mid-run.
    assert before <= {r["id"] for r in rows("contacts")}
    emu.control.update({"mutate_during_pagination": 0})
    sync(emu, resources=["contacts"], page_size=25)
    assert_converged(emu, rows)


def test_merges_are_recorded_on_2_16(emulator, sync, rows, pipeline):
    emu = emulator(api_version="2.16")
    sync(emu, resources=["contacts"])
    for _ in range(2):
        advance(emu.world, 24 * 3600)
        sync(emu, resources=["contacts"])
    expected = truth(emu, "contacts_merged")
    assert expected, "the scenario needs merges"
    assert mismatches(rows("contacts_merged"), expected) == []
    assert_converged(emu, rows)
    columns = pipeline().default_schema.get_table_columns("contacts_merged")
    assert {c for c in columns if not c.startswith("_dlt")} == {
        "id",
        "merged_into_id",
        "merged_at",
        "source_contact_role",
    }
    assert columns["merged_at"]["data_type"] == "timestamp"


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
    for attribute in custom:  # readable columns (docs/tables-naming.md): no `…emojix`
        column = custom_attribute_column_name(attribute["name"])
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


def test_unknown_fields_land_and_types_stay_stable_run_to_run(emulator, sync, pipeline):
    emu = emulator(api_version="2.16")
    sync(emu, resources=["contacts"])
    declared = set(table_columns("contacts", "2.16"))
    raw = httpx.post(
        emu.url("/contacts/search"),
        json={"query": {"field": "updated_at", "operator": ">", "value": 0}},
        headers=emu.headers("2.16"),
    ).json()["data"]
    undeclared = {
        key
        for contact in raw
        for key, value in contact.items()
        if key not in declared and value is not None and not isinstance(value, dict | list)
    }
    assert undeclared, "the scenario needs fields the schema does not declare"
    first = pipeline().default_schema.get_table_columns("contacts")
    assert undeclared <= set(first)
    for _ in range(2):
        advance(emu.world, 24 * 3600)
        sync(emu, resources=["contacts"])
    later = pipeline().default_schema.get_table_columns("contacts")
    assert {name: c["data_type"] for name, c in first.items()} == {
        name: later[name]["data_type"] for name in first
    }
    assert not [name for name in later if "__v_" in name]  # no variant columns


def test_a_large_window_is_paged_in_concurrent_day_slices(
    emulator, sync, rows, loaded, monkeypatch, caplog
):
    # Make the tiny world count as "large" so the window is split.
    monkeypatch.setattr(contacts_module, "CONTACT_SPLIT_MIN_PAGES", 2)
    emu = emulator(timezone="Pacific/Pago_Pago", mutate_during_pagination=1)
    before = {r["id"]: r["updated_at"] for r in truth(emu, "contacts")}
    with caplog.at_level(logging.INFO, logger=contacts_module.__name__):
        # Explicit concurrency: the slice count must not follow the repo's .dlt/config.toml.
        sync(emu, resources=["contacts"], page_size=20, max_concurrency=8)
    assert any("8 slice(s)" in m or "7 slice(s)" in m for m in caplog.messages), caplog.messages
    # Every contact is loaded, except one changed while we paged that moved into a slice
    # already read to its end (the newest): the next run loads it (asserted below).
    missing = set(before) - {r["id"] for r in rows("contacts")}
    changed = {r["id"] for r in truth(emu, "contacts") if r["updated_at"] != before.get(r["id"])}
    assert missing <= changed
    assert len(missing) < len(before) // 10
    emu.control.update({"mutate_during_pagination": 0})
    advance(emu.world, 24 * 3600, intensity=3.0)
    sync(emu, resources=["contacts"], page_size=20)
    assert_converged(emu, rows)
    settle(emu)  # versions read during their own second load once more
    sync(emu, resources=["contacts"], page_size=20)
    sync(emu, resources=["contacts"], page_size=20)
    assert loaded()["contacts"] == 0


def test_consent_changes_do_not_move_updated_at_and_refresh_with_the_next_change(
    emulator, sync, rows
):
    emu = emulator(counts={"contacts": 60, "conversations": 5, "tickets": 3})
    world = emu.world
    sync(emu, resources=["contacts"])
    advance(world, 12 * 3600)
    unstamped = {r["contact_id"] for r in truth(emu, "contacts_unstamped_consents")}
    assert unstamped  # consents changed without a new `updated_at`
    sync(emu, resources=["contacts"])

    def stale(table: str) -> set[str]:
        got = pairs(rows(table), "contact_id", "subscription_type_id")
        want = pairs(truth(emu, table), "contact_id", "subscription_type_id")
        return {pair[0] for pair in got ^ want}

    differing = set().union(*(stale(t) for t in CONSENTS))
    assert differing and differing <= unstamped  # what the sync cannot see, and nothing else
    # Once those contacts change for another reason, their consents load with them.
    settle(emu)
    with world.lock:
        for contact_id in sorted(differing):
            record = ops.editable(world.contacts, contact_id)
            record["last_seen_at"] = world.now  # seen again: a change that moves updated_at
            ops.save(world.contacts, record, world.now)
    sync(emu, resources=["contacts"])
    assert set().union(*(stale(t) for t in CONSENTS)) == set()
