"""`reconcile=True` (`intercom-sync run --reconcile`): full id scans tombstone contacts,
companies and tickets deleted in the workspace, confirmed one by one, so a scan that misses
live records (index lag) flags nothing; a record that comes back loses its tombstone."""

from __future__ import annotations

import random

import pytest

from pipelines.cli import main as cli_main
from sources.intercom.client import IntercomClient
from tests.convergence.compare import compare_warehouse, pipeline_reader
from tests.convergence.workspace import (
    delete_contact,
    delete_random,
    is_deletable,
    restore_contact,
)


def _client(emu, **kwargs) -> IntercomClient:
    # The reconcile scan waits for the companies scroll (one per workspace): short waits.
    return IntercomClient(emu.token, base_url=emu.base_url, scroll_wait_s=0.2, **kwargs)


def _ids(rows, table: str) -> set[str]:
    return {str(r["id"]) for r in rows(table)}


def _stats(emu) -> dict:
    return emu.control.stats.snapshot()["endpoints"]


def test_deleted_records_are_tombstoned_and_the_rest_converges(
    emulator, sync, rows, pipeline
) -> None:
    emu = emulator(seed=31)
    sync(emu, client=_client(emu))
    rng = random.Random(31)
    with emu.control.lock:
        deleted = {e: set(delete_random(emu.world, rng, e, 2)) for e in ("contacts", "companies")}
        deleted["tickets"] = set(delete_random(emu.world, rng, "tickets", 1))
    assert all(deleted.values())
    before = _stats(emu)
    sync(emu, client=_client(emu), reconcile=True)
    for entity, ids in deleted.items():
        assert _ids(rows, f"{entity}_deleted") == ids, entity
        # Root rows stay (deletes="soft"), flagged.
        assert {str(r["id"]) for r in rows(entity) if r["_deleted_at"] is not None} == ids
    # Cost: one GET per candidate, on top of the scans.
    gets = sum(
        _stats(emu)[f"GET /{e}/{{id}}"].get("404", 0)
        - before.get(f"GET /{e}/{{id}}", {}).get("404", 0)
        for e in ("contacts", "companies", "tickets")
    )
    assert gets == sum(len(ids) for ids in deleted.values())
    with emu.control.lock:
        report = compare_warehouse(pipeline_reader(pipeline()), emu.world)
    assert report.problems == []
    # A second reconcile finds nothing new and keeps the tombstones.
    sync(emu, client=_client(emu), reconcile=True)
    for entity, ids in deleted.items():
        assert _ids(rows, f"{entity}_deleted") == ids


def test_reconcile_on_a_pipelines_first_run_loads_everything_and_flags_nothing(
    emulator, sync, pipeline
) -> None:
    """A first run has no warehouse to compare with (dlt has no schema yet): nothing to flag."""
    emu = emulator(seed=30)
    sync(emu, client=_client(emu), reconcile=True)
    read = pipeline_reader(pipeline())
    for table in ("contacts_deleted", "companies_deleted", "tickets_deleted"):
        assert read(table) == [], table
    with emu.control.lock:
        report = compare_warehouse(read, emu.world)
    assert report.problems == []


def test_records_missing_from_a_lagging_scan_are_not_flagged(emulator, sync, pipeline) -> None:
    emu = emulator(seed=32)
    emu.advance(2 * 86400, intensity=3)  # recent tickets
    sync(emu, client=_client(emu))
    # The ticket scan is a search: with a long index lag it misses every recent ticket.
    emu.control.update({"index_lag_seconds": 30 * 86400})
    sync(
        emu,
        client=_client(emu),
        reconcile=True,
    )
    assert pipeline_reader(pipeline())("tickets_deleted") == []
    assert _stats(emu)["GET /tickets/{id}"].get("200", 0) > 0  # candidates were confirmed live


def test_a_record_that_comes_back_loses_its_tombstone(emulator, sync, rows, pipeline) -> None:
    emu = emulator(seed=33)
    sync(emu, client=_client(emu))
    with emu.control.lock:
        contact_id = next(c for c in emu.world.contacts.ids() if is_deletable(emu.world, c))
        removed = delete_contact(emu.world, contact_id)
    sync(emu, client=_client(emu), reconcile=True)
    assert _ids(rows, "contacts_deleted") == {contact_id}
    emu.advance(60, intensity=0)
    with emu.control.lock:
        restore_contact(emu.world, removed)
    sync(emu, client=_client(emu), reconcile=True)
    assert pipeline_reader(pipeline())("contacts_deleted") == []
    with emu.control.lock:
        report = compare_warehouse(pipeline_reader(pipeline()), emu.world)
    assert report.problems == []


@pytest.mark.parametrize("api_version", ["2.9"])
def test_on_2_9_merged_away_contacts_are_found_by_reconcile(
    emulator, sync, rows, pipeline, api_version
):
    emu = emulator(seed=34, api_version=api_version)
    sync(emu, client=_client(emu, api_version=api_version))
    merged_before = set(emu.world.merged_contacts)
    for _ in range(10):
        emu.advance(86400, intensity=3)
        if set(emu.world.merged_contacts) - merged_before:
            break
    merged = set(emu.world.merged_contacts) - merged_before
    assert merged
    sync(emu, client=_client(emu, api_version=api_version), reconcile=True)
    loaded_before = merged & _ids(rows, "contacts")
    assert loaded_before
    assert loaded_before <= _ids(rows, "contacts_deleted")
    # Flagged in `contacts` itself; 2.9 does not say into whom.
    flagged = {str(r["id"]): r for r in rows("contacts") if r["_deleted_at"] is not None}
    assert set(flagged) == loaded_before
    assert all(r["_merged_into_id"] is None for r in flagged.values())
    assert pipeline_reader(pipeline())("tickets_deleted") == []  # 2.9 lists no tickets


def test_cli_run_reconcile(emulator, tmp_path, monkeypatch) -> None:
    emu = emulator(seed=35)
    monkeypatch.setenv("SOURCES__INTERCOM__ACCESS_TOKEN", emu.token)
    args = [
        "run",
        "--base-url",
        emu.base_url,
        "--pipelines-dir",
        str(tmp_path / "p"),
        "--duckdb-file",
        str(tmp_path / "w.duckdb"),
        "--no-progress",
    ]
    assert cli_main([*args, "--resources", "contacts"]) == 0
    with emu.control.lock:
        (gone,) = delete_random(emu.world, random.Random(35), "contacts", 1)
    assert cli_main([*args, "--resources", "contacts", "--reconcile"]) == 0
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        found = con.sql("SELECT id FROM intercom_raw.contacts_deleted").fetchall()
    assert found == [(gone,)]
