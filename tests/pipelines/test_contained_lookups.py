"""A lookup out of retries does not throw the run away (issue 19, item 4): its table stays as
the last good run left it (dlt would empty a replace table whose resource yields nothing),
the other resources load, the run exits RESOURCES_FAILED naming it, and the next healthy run
refreshes it (`sources/intercom/contained.py`). Through the CLI against the emulator, whose
fault injection makes the lookup's endpoint fail."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from emulator.world.truth import truth_rows
from pipelines.exit_codes import ExitCode
from tests.helpers.cli import cli, quiet_run_args, raw_table_rows, status_args

NO_RETRY = {"SOURCES__INTERCOM__MAX_RETRIES": "0"}


def _run(emu, tmp_path: Path, *resources: str):
    """A run of a few resources (fast), the endpoint failing at once (no retry)."""
    args = quiet_run_args(emu, tmp_path, "--resources", ",".join(resources))
    return cli(args, tmp_path, emu.token, NO_RETRY)


def _load_ids(db: Path, table: str) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.sql(f"SELECT _dlt_load_id FROM intercom_raw.{table}").fetchall()}


def _admin_names(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.sql("SELECT id, name FROM intercom_raw.admins").fetchall())


def _rename_an_admin(emu) -> str:
    with emu.control.lock:
        admin_id = sorted(emu.world.admins)[-1]
        emu.world.admins[admin_id]["name"] = "Renamed Meanwhile"
    return str(admin_id)


def test_a_failing_lookup_keeps_its_table_and_the_others_load(emulator, tmp_path: Path) -> None:
    emu = emulator
    db = tmp_path / "warehouse.duckdb"
    resources = ("admins", "teams", "contacts")
    first = _run(emu, tmp_path, *resources)
    assert first.returncode == 0, first.stderr
    admins = raw_table_rows(db, "admins")
    team_links = raw_table_rows(db, "admins__team_ids")
    assert admins and team_links  # (else this test proves nothing)
    teams_loaded = _load_ids(db, "teams")

    renamed = _rename_an_admin(emu)
    emu.advance(3600)  # contacts, conversations … change
    emu.control.update({"faults": {"GET /admins": {"error_rate": 1.0}}})
    failed = _run(emu, tmp_path, *resources)
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert failed.stdout.startswith("Sync finished, except for: admins\n"), failed.stdout
    summary = "FAILED (table kept as the last good run left it, read again next run): admins"
    assert summary in failed.stdout
    line = failed.stderr.strip().splitlines()[-1]
    assert line.startswith(
        "intercom-sync: error: admins failed and keep their table as the last good run left it"
    ), line
    assert "GET /admins" in line
    # untouched: the same rows of the same load, nested table included; not emptied, not doubled
    assert raw_table_rows(db, "admins") == admins
    assert raw_table_rows(db, "admins__team_ids") == team_links
    # the others loaded: the other lookups replaced, the entities up to date
    assert _load_ids(db, "teams") - teams_loaded
    contacts = raw_table_rows(db, "contacts")
    assert contacts is not None and len(contacts) == len(list(truth_rows(emu.world, "contacts")))
    status = json.loads(cli(status_args(tmp_path, "--json"), tmp_path, None).stdout)
    assert status["resources"]["admins"]["last_failure"]["exit_code"] == ExitCode.RESOURCES_FAILED

    emu.control.update({"faults": None})  # the endpoint recovers: the next run refreshes it
    again = _run(emu, tmp_path, *resources)
    assert again.returncode == 0, again.stderr
    names = _admin_names(db)
    assert names[renamed] == "Renamed Meanwhile"
    assert len(names) == len(emu.world.admins)


def test_a_lookup_failing_on_the_first_run_is_partial_success(
    emulator_factory, tmp_path: Path
) -> None:
    emu = emulator_factory(faults={"GET /segments": {"error_rate": 1.0}})
    db = tmp_path / "warehouse.duckdb"
    resources = ("segments", "admins", "tickets")
    failed = _run(emu, tmp_path, *resources)
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert failed.stdout.startswith("Sync finished, except for: segments\n"), failed.stdout
    assert "FAILED (no table yet, read again next run): segments" in failed.stdout
    assert (
        failed.stderr.strip()
        .splitlines()[-1]
        .startswith("intercom-sync: error: segments failed and have no table yet")
    )
    assert raw_table_rows(db, "segments") is None
    assert raw_table_rows(db, "admins")
    tickets = raw_table_rows(db, "tickets")
    assert tickets is not None and len(tickets) == len(list(truth_rows(emu.world, "tickets")))

    emu.control.update({"faults": None})
    again = _run(emu, tmp_path, *resources)
    assert again.returncode == 0, again.stderr
    segments = raw_table_rows(db, "segments")
    assert segments is not None and len(segments) == len(emu.world.segments) > 0


def test_what_is_typed_from_a_failed_lookup_fails_with_it(emulator_factory, tmp_path: Path) -> None:
    """Tickets' attribute columns are typed from the ticket types: without them the tickets
    keep their cursor (no column of a guessed type); the rest loads."""
    emu = emulator_factory(faults={"GET /ticket_types": {"error_rate": 1.0}})
    db = tmp_path / "warehouse.duckdb"
    failed = _run(emu, tmp_path, "ticket_types", "tickets", "tags")
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert failed.stdout.startswith("Sync finished, except for: ticket_types, tickets\n")
    assert "FAILED (cursor kept, read again next run): tickets" in failed.stdout
    assert "FAILED (no table yet, read again next run): ticket_types" in failed.stdout
    assert raw_table_rows(db, "ticket_types") is None and raw_table_rows(db, "tickets") is None
    assert raw_table_rows(db, "tags")
    # a single attempt at /ticket_types: the failure is remembered, not waited out again
    endpoints = emu.control.stats.snapshot()["endpoints"]
    assert sum(endpoints["GET /ticket_types"].values()) == 1, endpoints


def test_a_content_list_failing_mid_read_keeps_its_table(emulator, tmp_path: Path) -> None:
    """The content lists replaced each run are read before it too: `articles` (a list, then
    one detail per article) failing after some details leaves every articles table as it was."""
    emu = emulator
    db = tmp_path / "warehouse.duckdb"
    first = _run(emu, tmp_path, "articles", "tags")
    assert first.returncode == 0, first.stderr
    articles, translations = (
        raw_table_rows(db, "articles"),
        raw_table_rows(db, "articles__translated_content"),
    )
    assert articles and translations  # (else this test proves nothing)
    tags_loaded = _load_ids(db, "tags")

    emu.control.update({"faults": {"GET /articles/{id}": {"error_rate": 0.5}}})
    failed = _run(emu, tmp_path, "articles", "tags")
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert failed.stdout.startswith("Sync finished, except for: articles\n"), failed.stdout
    assert raw_table_rows(db, "articles") == articles
    assert raw_table_rows(db, "articles__translated_content") == translations
    assert _load_ids(db, "tags") != tags_loaded  # the other resource was replaced again

    emu.control.update({"faults": None})
    again = _run(emu, tmp_path, "articles", "tags")
    assert again.returncode == 0, again.stderr
    assert len(_load_ids(db, "articles")) == 1 and raw_table_rows(db, "articles") != articles
