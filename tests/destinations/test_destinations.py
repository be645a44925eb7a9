"""The same guarantees on every destination: a full sync equals the emulator's truth, activity
plus a resync converges, merges never duplicate a primary key, and `status` reads it back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.world import WorldConfig
from emulator.world.activity import advance
from pipelines.reporting.status import collect_status
from tests.destinations.conftest import TARGETS
from tests.helpers.cli import cli
from tests.helpers.destinations import Target
from tests.helpers.truth import by_id, mismatches, pairs, truth

ROOTS = ("contacts", "companies", "conversations", "tickets")
LOOKUPS = ("admins", "teams", "tags", "segments")
TOMBSTONES = ("conversations_deleted", "contacts_merged")
LINKS = {
    "contacts__tags": ("contact_id", "tag_id"),
    "contacts__companies": ("contact_id", "company_id"),
    "companies__tags": ("company_id", "tag_id"),
    "companies__segments": ("company_id", "segment_id"),
    "conversations__contacts": ("conversation_id", "contact_id"),
    "conversations__tags": ("conversation_id", "tag_id"),
    "conversations__teammates": ("conversation_id", "admin_id"),
    "tickets__contacts": ("ticket_id", "contact_id"),
}
PARTS = {"conversation_parts": "conversation_id", "ticket_parts": "ticket_id"}
WORLD = WorldConfig(seed=5, scale="tiny")


def _gone(emu: Any) -> dict[str, set[str]]:
    """Records that left Intercom in ways the sync learns of without `--reconcile`."""
    return {
        "contacts": set(emu.world.merged_contacts),
        "conversations": set(emu.world.deleted_conversations),
    }


def _assert_unique(rows: list[dict], table: str) -> None:
    ids = [str(row["id"]) for row in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{table}: duplicate primary keys {duplicates[:5]}"


def _live(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row.get("_deleted_at") is None]


def assert_equals_truth(target: Target, emu: Any, deletes: str = "soft") -> int:
    """The live rows (`_deleted_at` null) equal the truth; every record that left is flagged
    (soft) or gone (hard), with no link rows and no live parts. Returns how many such
    records the warehouse had loaded."""
    with target.session():  # one connection for the dozens of reads
        return _assert_equals_truth(target, emu, deletes)


def _assert_equals_truth(target: Target, emu: Any, deletes: str) -> int:
    gone = _gone(emu)
    dead = 0
    for table in ROOTS:
        rows = target.read(table)
        _assert_unique(rows, table)
        assert mismatches(_live(rows), truth(emu, table)) == [], table
        flagged = {str(r["id"]) for r in rows if r.get("_deleted_at") is not None}
        dead += len(flagged)
        if deletes == "hard" and target.merges:
            assert not flagged, f"{table}: rows flagged instead of removed"
        else:  # plain parquet appends: the latest version of a removed row is its tombstone
            assert flagged <= gone.get(table, set()), table
        if table == "contacts" and deletes == "soft":
            merged = {k: v[0] for k, v in emu.world.merged_contacts.items()}
            for row in rows:
                if str(row["id"]) in flagged:
                    assert row["_merged_into_id"] == merged[str(row["id"])]
    for table in LOOKUPS + TOMBSTONES:
        rows = target.read(table)
        _assert_unique(rows, table)
        assert mismatches(rows, truth(emu, table)) == [], table
    for table, (parent_key, child_key) in LINKS.items():
        got = pairs(target.read(table), parent_key, child_key)
        assert got == pairs(truth(emu, table), parent_key, child_key), table
    for table, parent_key in PARTS.items():
        rows = target.read(table)
        _assert_unique(rows, table)
        live = by_id(_live(rows))
        visible = [part for part in truth(emu, table) if part["visible"]]
        shown = [live[str(part["id"])] for part in visible if str(part["id"]) in live]
        assert len(shown) == len(visible), f"{table}: visible parts missing"
        assert mismatches(shown, visible) == [], table
        parents = gone.get(table.split("_")[0] + "s", set())
        assert not [r for r in live.values() if str(r[parent_key]) in parents], table
    return dead


def _assert_status_reads_the_destination(target: Target, emu: Any) -> None:
    """`status` after a first sync, from the pipeline state and the destination's tables."""
    status = collect_status(
        target.pipeline_name,
        str(target.root / "pipelines"),
        None,  # the pipeline state knows its destination
        str(target.root / "warehouse.duckdb"),
    )
    assert status["row_count_error"] is None
    assert status["last_successful_load"]["load_id"]  # read from the destination's _dlt_loads
    assert status["destination"] == target.destination
    contacts = status["resources"]["contacts"]
    # Rows as the destination holds them (a first sync: no version appended twice).
    assert contacts["rows"] == len(truth(emu, "contacts"))
    assert contacts["tables"]["contacts__tags"] == len(truth(emu, "contacts__tags"))
    assert status["resources"]["tags"]["rows"] == len(emu.world.tags)
    assert contacts["cursor"] == max(row["updated_at"] for row in truth(emu, "contacts"))
    assert contacts["lag_seconds"] is not None
    assert contacts["last_success"] is not None and contacts["last_failure"] is None


def _assert_tables_merge_by_upsert_where_the_destination_can(target: Target) -> None:
    """Upsert where dlt offers it; delete-insert where it does not (SQLite here, as Redshift)."""
    tables = target.pipeline().default_schema.tables
    expected = "delete-insert" if target.destination == "sqlalchemy" else "upsert"
    for table in ("contacts", "contacts_merged", "conversations", "conversation_parts"):
        assert tables[table]["write_disposition"] == "merge", table
        assert tables[table].get("x-merge-strategy") == expected, table


# Hard deletes on delta tables are checked against DuckDB's in test_delta_hard_deletes.py.
CONVERGENCE_CASES = [
    (name, deletes)
    for name in TARGETS
    for deletes in ("soft", "hard")
    if (name, deletes) != ("filesystem-delta", "hard")
]


@pytest.mark.parametrize(("target", "deletes"), CONVERGENCE_CASES, indirect=["target"])
def test_full_sync_then_activity_converges(
    target: Target, emulator_factory, monkeypatch, deletes: str
) -> None:
    monkeypatch.setenv("SOURCES__INTERCOM__DELETES", deletes)  # as a user configures it
    emu = emulator_factory(config=WORLD)
    first = target.sync(emu)
    assert first.rows_by_table["contacts"] == len(truth(emu, "contacts"))
    assert_equals_truth(target, emu, deletes)
    loaded = {t: {str(r["id"]) for r in target.read(t)} for t in ("contacts", "conversations")}
    if deletes == "soft":  # checks of a first sync, on its warehouse rather than a new one
        _assert_status_reads_the_destination(target, emu)
        _assert_tables_merge_by_upsert_where_the_destination_can(target)

    summary = advance(emu.world, 2 * 86400)
    assert sum(summary.values()) > 0, "the world changed"
    assert summary.get("conversation_deleted") and summary.get("contact_merged")
    second = target.sync(emu)
    # Incremental: the second run loads the changes, not the workspace again.
    assert second.rows_by_table.get("contacts", 0) < first.rows_by_table["contacts"]
    dead = assert_equals_truth(target, emu, deletes)
    # Loaded records left the workspace: the checks above saw them flagged or removed.
    assert any(loaded[t] & ids for t, ids in _gone(emu).items())
    assert dead > 0 if deletes == "soft" or not target.merges else dead == 0

    # A quiet resync (same records re-read at the cursor boundary) changes nothing.
    target.sync(emu)
    assert_equals_truth(target, emu, deletes)


@pytest.mark.parametrize("target", ["filesystem-parquet"], indirect=True)
def test_plain_parquet_appends_and_the_latest_version_query_dedupes(
    target: Target, emulator_factory
) -> None:
    """What README.md documents for parquet without a table format: merge tables are
    appended to, and the "latest version" query gives the current rows."""
    emu = emulator_factory(config=WORLD)
    target.sync(emu, resources=["contacts"])
    advance(emu.world, 2 * 86400)
    target.sync(emu, resources=["contacts"])
    pipeline = target.pipeline()
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name("contacts")
        total, distinct = client.execute_sql(f"SELECT count(*), count(DISTINCT id) FROM {table}")[0]
    assert total > distinct, "updated contacts were appended as new versions"
    assert len(target.read("contacts")) == distinct


@pytest.mark.parametrize("target", ["postgres", "sqlite", "filesystem-delta"], indirect=True)
def test_the_cli_syncs_and_reports_status(target: Target, emulator_factory) -> None:
    """The command line a user types, configured only by dlt's environment variables."""
    emu = emulator_factory(config=WORLD)
    common = ["--pipelines-dir", str(target.root / "pipelines"), "--pipeline-name", "cli"]
    run = [
        "run",
        *common,
        "--destination",
        target.destination,
        "--dataset",
        target.dataset,
        "--base-url",
        emu.base_url,
        "--resources",
        "contacts",
        "--no-progress",
    ]
    if target.table_format:
        run += ["--table-format", target.table_format]
    result = cli(run, target.root, emu.token, target.env)
    assert result.returncode == 0, result.stderr
    status = cli(["status", *common, "--json"], target.root, None, target.env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["destination"] == target.destination
    assert report["resources"]["contacts"]["rows"] == len(truth(emu, "contacts"))
