"""History mode (docs/history.md): every version of companies, conversations, tickets, their
parts and links, in `<table>_history` tables, on DuckDB (soft deletes) and PostgreSQL (hard
deletes), synced from the emulator over HTTP.

One scenario per destination (module-scoped, four syncs of a tiny world): a sync without
history; `history=True` seeds the history from the current tables; then a company changed
twice (plan, tags), a part redacted and a conversation deleted between syncs (the last sync
re-reads the redacted conversation unchanged); then the history step alone, again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig, ops
from emulator.world.records import tag_basic
from pipelines.destinations.history_tables import record_versions
from pipelines.reporting.status import collect_status, format_status
from pipelines.reporting.transform import DBT_PROJECT_DIR
from pipelines.run.summary import format_summary
from tests.helpers.cli import cli, quiet_run_args
from tests.helpers.destinations import Target, drop_postgres_schema, postgres_dsn
from tests.helpers.fivetran import dbt

# a tinier world than `tiny`: five syncs each, twice
WORLD = WorldConfig(
    seed=3,
    scale="tiny",
    counts={"contacts": 40, "companies": 12, "conversations": 12, "tickets": 3, "max_parts": 40},
)
RESOURCES = ["companies", "conversations", "tickets"]  # contacts: same code, slower syncs
VERSIONED = (
    "companies",
    "conversations",
    "tickets",
    "conversation_parts",
    "ticket_parts",
)
HOUR = 3600


@dataclass
class Scenario:
    target: Target
    deletes: str
    seeded: dict[str, list[dict]] = field(default_factory=dict)  # history after the seed
    current_at_seed: dict[str, list[dict]] = field(default_factory=dict)
    company: str = ""  # changed twice after the seed
    company_times: list[Any] = field(default_factory=list)  # its updated_at, each version
    company_tags: list[set[str]] = field(default_factory=list)  # its tag ids, each version
    part: tuple[str, str] = ("", "")  # (conversation, part) redacted
    deleted: str = ""  # conversation deleted
    deleted_at: Any = None
    before_rerun: dict[str, list[dict]] = field(default_factory=dict)
    rerun_rows: dict[str, int] = field(default_factory=dict)
    step_again: dict[str, int] = field(default_factory=dict)
    after: dict[str, list[dict]] = field(default_factory=dict)
    current_after: dict[str, list[dict]] = field(default_factory=dict)
    last_result: Any = None  # the last sync's SyncResult


def rows(target: Target, table: str) -> list[dict]:
    with target.pipeline().sql_client() as client:
        query = f"SELECT * FROM {client.make_qualified_table_name(table)}"
        with client.execute_query(query) as cur:
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def snapshot(target: Target) -> dict[str, list[dict]]:
    tables = [f"{t}_history" for t in VERSIONED] + ["companies_history__tags"]
    return {t: sorted(rows(target, t), key=lambda r: (r["_dlt_id"])) for t in tables}


def _tags(world: Any, company_id: str) -> set[str]:
    return {tag["id"] for tag in world.companies.get(company_id)["tags"]["tags"]}


def _change_company(emu: RunningEmulator, company_id: str, plan: int, tag: str | None) -> None:
    world = emu.world
    company = ops.editable(world.companies, company_id)
    company["monthly_spend"] = plan
    if tag is not None:
        company["tags"]["tags"].append(tag_basic(world.tags[tag]))
    ops.save(world.companies, company, world.now)


def play(target: Target, deletes: str) -> Scenario:
    scenario = Scenario(target, deletes)
    with running_emulator(WORLD) as emu:
        world = emu.world
        target.sync(emu, resources=RESOURCES, deletes=deletes)  # before history mode
        emu.advance(HOUR, intensity=0)
        target.sync(emu, resources=RESOURCES, deletes=deletes, history=True)  # seeds
        scenario.seeded = snapshot(target)
        scenario.current_at_seed = {t: rows(target, t) for t in VERSIONED}

        company = world.companies.ids()[0]
        scenario.company = company
        scenario.company_times.append(world.companies.get(company)["updated_at"])
        scenario.company_tags.append(_tags(world, company))
        conversations = [world.conversations.get(i) for i in world.conversations.ids()]
        with_comment = [
            c
            for c in conversations
            if len(c["conversation_parts"]["conversation_parts"]) < 500  # the API shows 500
            and any(
                p["part_type"] == "comment" and not p["redacted"]
                for p in c["conversation_parts"]["conversation_parts"]
            )
        ]
        redacted, deleted = with_comment[0], with_comment[1]
        part = next(
            p["id"]
            for p in redacted["conversation_parts"]["conversation_parts"]
            if p["part_type"] == "comment" and not p["redacted"]
        )
        scenario.part = (redacted["id"], part)
        scenario.deleted = deleted["id"]

        new_tag = next(t for t in world.tags if t not in _tags(world, company))
        for plan, tag in ((777, new_tag), (888, None)):
            emu.advance(HOUR, intensity=0)
            with emu.control.lock:
                _change_company(emu, company, plan, tag)
                if plan == 777:
                    ops.redact_part(world, redacted["id"], part, world.now)
                    ops.delete_conversation(world, deleted["id"], world.now, False)
                    scenario.deleted_at = world.now
            scenario.company_times.append(world.companies.get(company)["updated_at"])
            scenario.company_tags.append(_tags(world, company))
            result = target.sync(emu, resources=RESOURCES, deletes=deletes, history=True)
        # the last sync read the redacted conversation again (it changed an hour before, within
        # the search lag window it re-reads), unchanged: a re-run of that window
        scenario.rerun_rows = result.rows_by_table
        scenario.last_result = result
        scenario.before_rerun = snapshot(target)
        scenario.step_again = record_versions(target.pipeline())  # a re-run of the step alone
        scenario.after = snapshot(target)
        scenario.current_after = {t: rows(target, t) for t in VERSIONED}
    return scenario


@pytest.fixture(scope="module", params=[("duckdb", "soft"), ("postgres", "hard")], ids=str)
def scenario(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Scenario]:
    name, deletes = request.param
    root = tmp_path_factory.mktemp(f"history_{name}")
    env = {"RUNTIME__DLTHUB_TELEMETRY": "false"}
    if name == "postgres":
        env["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_dsn()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.chdir(root)  # no repo .dlt/ config
        target = Target(name, root, name, env)
        try:
            yield play(target, deletes)
        finally:
            if name == "postgres":
                drop_postgres_schema(env["DESTINATION__POSTGRES__CREDENTIALS"], target.dataset)


def _unix(value: Any) -> int:
    return int(value.timestamp())


def _versions(table: list[dict], id_: str) -> list[dict]:
    return sorted((r for r in table if r["id"] == id_), key=lambda r: r["_valid_from"])


def test_turning_history_on_seeds_the_current_versions(scenario: Scenario) -> None:
    for table in VERSIONED:
        history = scenario.seeded[f"{table}_history"]
        current = scenario.current_at_seed[table]
        assert current, table
        assert sorted(r["id"] for r in history) == sorted(r["id"] for r in current), table
        by_id = {r["id"]: r for r in current}
        for version in history:
            row = by_id[version["id"]]
            assert version["_valid_to"] is None
            assert version["_valid_from"] == row["updated_at"] or row["updated_at"] is None
            assert version["_dlt_load_id"] == row["_dlt_load_id"]
    tags = scenario.seeded["companies_history__tags"]
    assert tags and all(t["company_id"] and t["tag_id"] for t in tags)


def test_a_record_changed_n_times_has_n_contiguous_versions(scenario: Scenario) -> None:
    versions = _versions(scenario.after["companies_history"], scenario.company)
    assert [_unix(v["_valid_from"]) for v in versions] == scenario.company_times
    assert [v["monthly_spend"] for v in versions][1:] == [777, 888]
    for earlier, later in pairwise(versions):
        assert earlier["_valid_to"] == later["_valid_from"]
    assert versions[-1]["_valid_to"] is None
    # each version has the links it had, tied to it
    links = scenario.after["companies_history__tags"]
    for version, tags in zip(versions, scenario.company_tags, strict=True):
        own = [t for t in links if t["_dlt_root_id"] == version["_dlt_id"]]
        assert {t["tag_id"] for t in own} == tags
        assert {(t["company_id"], t["_valid_from"]) for t in own} == {
            (scenario.company, version["_valid_from"])
        }


def test_a_redacted_part_keeps_its_version_before_redaction(scenario: Scenario) -> None:
    _, part = scenario.part
    versions = _versions(scenario.after["conversation_parts_history"], part)
    assert [v["redacted"] for v in versions] == [False, True]
    assert versions[0]["body"] and versions[1]["body"] is None
    assert versions[0]["_valid_to"] == versions[1]["_valid_from"]


def test_a_deletion_closes_the_current_version_at_its_deletion_time(scenario: Scenario) -> None:
    versions = _versions(scenario.after["conversations_history"], scenario.deleted)
    assert versions and _unix(versions[-1]["_valid_to"]) == scenario.deleted_at
    parts = [
        r
        for r in scenario.after["conversation_parts_history"]
        if r["conversation_id"] == scenario.deleted
    ]
    assert parts and all(_unix(p["_valid_to"]) == scenario.deleted_at for p in parts)


def test_never_two_current_versions_and_validity_is_contiguous(scenario: Scenario) -> None:
    for table, history in scenario.after.items():
        if "__" in table:
            continue
        by_id: dict[str, list[dict]] = {}
        for row in history:
            by_id.setdefault(row["id"], []).append(row)
        for id_, versions in by_id.items():
            versions.sort(key=lambda r: r["_valid_from"])
            assert sum(v["_valid_to"] is None for v in versions) <= 1, (table, id_)
            for earlier, later in pairwise(versions):
                assert earlier["_valid_to"] == later["_valid_from"], (table, id_)


def test_an_incremental_run_retires_nothing_it_did_not_see_change(scenario: Scenario) -> None:
    """Each live record's one open version is its current row; a record whose current row is
    still the seeded version keeps that very version, open."""
    for table in VERSIONED:
        seeded = {r["id"]: r for r in scenario.seeded[f"{table}_history"]}
        history = scenario.after[f"{table}_history"]
        kept = 0
        for row in scenario.current_after[table]:
            if row.get("_deleted_at") is not None:
                continue
            open_versions = [v for v in history if v["id"] == row["id"] and v["_valid_to"] is None]
            assert [v["_valid_from"] for v in open_versions] == [row["updated_at"]], (
                table,
                row["id"],
            )
            if row["id"] in seeded and seeded[row["id"]]["_valid_from"] == row["updated_at"]:
                assert open_versions[0]["_dlt_id"] == seeded[row["id"]]["_dlt_id"]
                kept += 1
        assert kept > len(seeded) / 2, table  # most records did not change


def test_a_rerun_with_no_change_adds_no_version(scenario: Scenario) -> None:
    conversation, _ = scenario.part
    current = scenario.current_after["conversations"]
    last_load = max(r["_dlt_load_id"] for r in current)
    (row,) = [r for r in current if r["id"] == conversation]
    assert scenario.rerun_rows.get("conversations", 0) > 0
    assert row["_dlt_load_id"] == last_load  # loaded again by the last sync, unchanged
    versions = _versions(scenario.after["conversations_history"], conversation)
    assert len(versions) == 2  # as seeded, as redacted: the reload replaced its version
    assert versions[-1]["_dlt_load_id"] == last_load and versions[-1]["_valid_to"] is None
    # and the step run again (a crash after the load, then a re-run) writes nothing
    assert not any(scenario.step_again.values())
    for table, before in scenario.before_rerun.items():
        keys = lambda rs: sorted((r["_dlt_id"], r["_valid_from"], r.get("_valid_to")) for r in rs)  # noqa: E731
        assert keys(scenario.after[table]) == keys(before), table


def test_status_says_history_mode_is_on(scenario: Scenario) -> None:
    target = scenario.target
    status = collect_status(
        target.pipeline_name,
        str(target.root / "pipelines"),
        target.destination,
        str(target.root / "warehouse.duckdb"),
    )
    assert status["history"]["companies_history"] == len(scenario.after["companies_history"])
    assert "history mode: on" in format_status(status)


def test_the_run_summary_says_how_many_versions_it_wrote(scenario: Scenario) -> None:
    result = scenario.last_result
    assert result.history["companies_history"] == 1  # the company's second change
    assert "  history versions written: companies_history 1, " in format_summary(result)


def test_history_is_refused_where_it_cannot_work_and_bad_values_named(tmp_path) -> None:
    bucket = {"DESTINATION__FILESYSTEM__BUCKET_URL": (tmp_path / "bucket").as_uri()}
    with running_emulator(WORLD) as emu:
        files = cli(
            quiet_run_args(emu, tmp_path, "--destination", "filesystem", "--history"),
            tmp_path,
            emu.token,
            bucket,
        )
        other = tmp_path / "other"
        other.mkdir()
        bad = cli(
            quiet_run_args(emu, other),
            other,
            emu.token,
            {"SOURCES__INTERCOM__HISTORY": "maybe"},
        )
    assert files.returncode == 2
    (line,) = files.stderr.strip().splitlines()
    assert (
        "history mode keeps versions on duckdb, motherduck, postgres only, not filesystem" in line
    )
    assert not (tmp_path / "bucket").exists()  # refused before any data work
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "intercom-sync: error: [sources.intercom] history must be true or false (docs/history.md)"
    ]


def test_dlt_scd2_would_stamp_load_times_and_refuses_our_arrow_rows(tmp_path) -> None:
    """Why history mode is not dlt's `scd2` (docs/history.md): its validity is the load's
    time, not the record's `updated_at`, and Arrow rows need a `_dlt_id` content hash."""
    import dlt
    import pyarrow as pa
    from dlt.pipeline.exceptions import PipelineStepFailed

    updated_at = 1_600_000_000  # 2020: long before any load
    scd2 = {"disposition": "merge", "strategy": "scd2"}

    @dlt.resource(name="companies", write_disposition=scd2, merge_key="id")
    def companies(as_arrow: bool):
        rows = [{"id": "1", "plan": "pro", "updated_at": updated_at}]
        yield pa.Table.from_pylist(rows) if as_arrow else rows

    pipeline = dlt.pipeline(
        "scd2_probe",
        destination=dlt.destinations.duckdb(str(tmp_path / "scd2.duckdb")),
        dataset_name="probe",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    with pytest.raises(PipelineStepFailed, match="_dlt_id"):
        pipeline.run(companies(as_arrow=True))
    pipeline.drop_pending_packages()
    pipeline.run(companies(as_arrow=False))
    with pipeline.sql_client() as client:
        ((valid_from,),) = client.execute_sql("SELECT _dlt_valid_from FROM companies")
    assert valid_from.timestamp() > updated_at + 365 * 86_400  # the load's time


# -- the Fivetran-shaped views over these history tables ----------------------------------------


def _dbt_target_env(target: Target) -> dict[str, str]:
    """The analytics profile's target for `target` (analytics/profiles.yml)."""
    if target.name == "duckdb":
        return {
            "INTERCOM_DBT_TARGET": "duckdb",
            "INTERCOM_DUCKDB_FILE": str(target.root / "warehouse.duckdb"),
        }
    dsn = urlsplit(target.env["DESTINATION__POSTGRES__CREDENTIALS"])
    return {
        "INTERCOM_DBT_TARGET": "postgres",
        "PGHOST": dsn.hostname or "localhost",
        "PGPORT": str(dsn.port or 5432),
        "PGUSER": unquote(dsn.username or ""),
        "PGPASSWORD": unquote(dsn.password or ""),
        "PGDATABASE": dsn.path.lstrip("/"),
    }


def test_fivetran_views_show_every_version_history_mode_kept(
    scenario: Scenario, tmp_path: Path
) -> None:
    target = scenario.target
    schema = f"{target.dataset}_fivetran"
    dbt_vars = {"source_dataset_name": target.dataset, "fivetran_schema": schema}
    views = ["company_history", "company_tag_history", "conversation_part_history"]
    command = ["run", "--select", *views, "--vars", json.dumps(dbt_vars)]
    try:
        built = dbt(command, DBT_PROJECT_DIR, tmp_path, _dbt_target_env(target))
        assert not built.failed(), built.output
        with target.pipeline().sql_client() as client:

            def view(name: str) -> list[dict]:
                with client.execute_query(f'SELECT * FROM "{schema}"."{name}"') as cur:
                    names = [d[0] for d in cur.description]
                    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

            companies, tags, parts = (view(name) for name in views)
    finally:
        if target.name == "postgres":
            drop_postgres_schema(target.env["DESTINATION__POSTGRES__CREDENTIALS"], schema)
    versions = sorted(
        (r for r in companies if r["id"] == scenario.company), key=lambda r: r["_fivetran_start"]
    )
    assert [_unix(v["_fivetran_start"]) for v in versions] == scenario.company_times
    assert [v["_fivetran_active"] for v in versions] == [False] * (len(versions) - 1) + [True]
    for earlier, later in pairwise(versions):  # Fivetran's rule: 1 ms before the next start
        gap = later["_fivetran_start"] - earlier["_fivetran_end"]
        assert gap.total_seconds() == pytest.approx(0.001), (earlier, later)
    company_tags = {
        (_unix(t["_fivetran_start"]), t["tag_id"])
        for t in tags
        if t["company_id"] == scenario.company
    }
    expected = {
        (start, tag)
        for start, ids in zip(scenario.company_times, scenario.company_tags, strict=True)
        for tag in ids
    }
    assert company_tags == expected
    conversation, part = scenario.part
    part_versions = [p for p in parts if p["id"] == part]
    assert len(part_versions) == 2, part_versions  # before and after its redaction
    assert sum(p["_fivetran_active"] for p in part_versions) == 1


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_every_resource_with_history_versions_contacts_and_their_segment_memberships(
    destination: str, emulator, tmp_path: Path, monkeypatch
) -> None:
    """A default sync (every resource) with history on. `contacts__segments` is a table of its
    own (segment_members.py), not a nested table of `contacts` (the history step once took it
    for one and failed every such run): its history is what the runs observed, a row per
    membership with its own `_valid_from` and `_valid_to`."""
    monkeypatch.chdir(tmp_path)  # no repo .dlt/ config
    env = {}
    if destination == "postgres":
        env["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_dsn()
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn())
    target = Target(destination, tmp_path, destination, env)
    try:
        _sync_a_contact_leaving_its_segments(target, emulator)
    finally:
        if destination == "postgres":
            drop_postgres_schema(postgres_dsn(), target.dataset)


def _sync_a_contact_leaving_its_segments(target: Target, emulator: RunningEmulator) -> None:
    result = target.sync(emulator, history=True)
    assert result.history["contacts_history"] == len(emulator.world.contacts)
    members = {(r["contact_id"], r["segment_id"]) for r in rows(target, "contacts__segments")}
    history = rows(target, "contacts_history__segments")
    assert members and {(r["contact_id"], r["segment_id"]) for r in history} == members
    assert all(r["_valid_to"] is None for r in history) and len(history) == len(members)
    seeded_at = {r["_valid_from"] for r in history}
    assert len(seeded_at) == 1  # the first load that saw them

    contact_id = next(iter(emulator.world.contacts.ids()))
    contact = ops.editable(emulator.world.contacts, contact_id)
    contact["name"] = "Renamed in a test"
    contact["_segment_ids"] = []  # leaves its segments: the contact's updated_at stays
    emulator.world.contacts.put(contact)
    contact = ops.editable(emulator.world.contacts, contact_id)
    ops.save(emulator.world.contacts, contact, emulator.world.now + 60)
    emulator.advance(120, intensity=0.0)
    target.sync(emulator, history=True)
    versions = _versions(rows(target, "contacts_history"), contact_id)
    assert [v["name"] for v in versions][-1] == "Renamed in a test" and len(versions) == 2
    assert {r["contact_id"] for r in rows(target, "contacts_history__tags")}  # versioned
    left = {pair for pair in members if pair[0] == contact_id}
    after = rows(target, "contacts_history__segments")
    assert left, "the contact was in no segment: the test proves nothing"
    closed = {(r["contact_id"], r["segment_id"]) for r in after if r["_valid_to"] is not None}
    assert closed == left
    assert all(r["_valid_to"] > r["_valid_from"] for r in after if r["_valid_to"] is not None)
    now = {(r["contact_id"], r["segment_id"]) for r in rows(target, "contacts__segments")}
    assert {(r["contact_id"], r["segment_id"]) for r in after if r["_valid_to"] is None} == now

    target.sync(emulator, history=True)  # nothing changed: nothing opened or closed
    assert sorted(map(str, rows(target, "contacts_history__segments"))) == sorted(map(str, after))
