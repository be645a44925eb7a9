"""`deletes = "hard"` on filesystem+delta, through `intercom-sync run`: dlt cannot hard-delete
there, so the sync loads records that left flagged and deletes them from the delta tables after
the load (`pipelines/destinations/delta_hard_deletes.py`). Afterwards the delta tables hold what
DuckDB's hard mode holds for the same workspace: no row of a record that left, nor of its
links, parts or the parts' nested rows; every live row untouched.

One test of four delta syncs (the CLI's `main`, in this process: no interpreter start per run)
and two DuckDB ones, on a tiny world, contacts and conversations only: the fewest that show a
deletion in the run that loads its flag, and one left flagged by an interrupted run, deleted by
the next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.world import WorldConfig, ops
from emulator.world.activity import advance
from pipelines.cli import main as cli_main
from pipelines.destinations.delta_hard_deletes import delete_flagged_rows
from tests.destinations.conftest import make_target
from tests.helpers.destinations import Target
from tests.helpers.truth import mismatches, truth

WORLD = WorldConfig(seed=5, scale="tiny")
RESOURCES = ["contacts", "conversations"]  # where records leave without --reconcile
ROOTS = ("contacts", "conversations", "conversation_parts")  # tables with `_deleted_at`


def _cli_sync(emu: Any, target: Target, deletes: str | None = None) -> None:
    """`intercom-sync run` into delta tables, with hard mode from dlt's config (as a user sets
    it: `_targets`); `deletes` given on the command line wins over it."""
    args = ["run", "--destination", target.destination, "--table-format", "delta"]
    args += ["--dataset", target.dataset, "--pipelines-dir", str(target.root / "pipelines")]
    args += ["--base-url", emu.base_url, "--no-progress", "--resources", ",".join(RESOURCES)]
    if deletes:
        args += ["--deletes", deletes]
    assert cli_main(args) == 0


def _targets(emu: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Target, Target]:
    delta = make_target("filesystem-delta", tmp_path / "delta")
    duck = make_target("duckdb", tmp_path / "duckdb")
    for target in (delta, duck):
        target.root.mkdir()
        for key, value in target.env.items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__INTERCOM__ACCESS_TOKEN", emu.token)
    monkeypatch.setenv("SOURCES__INTERCOM__DELETES", "hard")
    return delta, duck


def _tables(target: Target, *names: str) -> dict[str, list[dict]]:
    """Tables `names` (default: every merged table holding data: roots, nested, parts,
    change logs) -> their rows, without the load ids (which differ between destinations)."""
    schema = target.pipeline().default_schema
    if not names:
        names = tuple(
            name
            for name in schema.data_table_names(seen_data_only=True)
            if schema.tables[_root(schema, name)].get("write_disposition") == "merge"
        )
    return {
        name: [{k: v for k, v in row.items() if k != "_dlt_load_id"} for row in target.read(name)]
        for name in names
    }


def _flagged(rows: list[dict]) -> set[str]:
    return {str(r["id"]) for r in rows if r.get("_deleted_at") is not None}


def _of(rows: list[dict], key: str, value: str) -> list[dict]:
    return [row for row in rows if str(row[key]) == value]


def test_hard_deletes_on_delta_remove_what_duckdb_removes(
    emulator_factory, tmp_path, monkeypatch
) -> None:
    emu = emulator_factory(config=WORLD)
    delta, duck = _targets(emu, tmp_path, monkeypatch)

    _cli_sync(emu, delta)
    duck.sync(emu, resources=RESOURCES, deletes="hard")  # the reference
    first = _tables(delta, "contacts", "conversations")
    summary = advance(emu.world, 2 * 86400)
    assert summary.get("conversation_deleted") and summary.get("contact_merged")
    # Loaded flagged and deleted in the same run.
    _cli_sync(emu, delta)
    loaded = _tables(delta, *ROOTS, "conversations__contacts", "contacts__tags")
    for table, gone in (
        ("contacts", set(emu.world.merged_contacts)),
        ("conversations", set(emu.world.deleted_conversations)),
    ):
        assert gone & {str(r["id"]) for r in first[table]}, f"{table}: loaded records left"
        assert not gone & {str(r["id"]) for r in loaded[table]}, table
        assert _flagged(loaded[table]) == set(), table

    # A conversation with parts and links, and a tagged lead, leave; the next run loads
    # their flags and stops there, as a run killed between its load and the deletion would
    # (soft mode: it reads their rows back from tables delta-rs has merged into).
    links = {str(r["conversation_id"]) for r in loaded["conversations__contacts"]}
    parts = {str(r["conversation_id"]) for r in loaded["conversation_parts"]}
    tagged = {str(r["contact_id"]) for r in loaded["contacts__tags"]}
    with emu.control.lock:
        world = emu.world
        conversation = sorted(links & parts)[0]
        ops.delete_conversation(world, conversation, world.now, False)
        contacts = sorted(world.contacts.values(), key=lambda c: c["id"])
        lead = next(c["id"] for c in contacts if c["role"] == "lead" and c["id"] in tagged)
        user = next(c["id"] for c in contacts if c["role"] == "user")
        ops.merge_contacts(world, lead, user, world.now)
    _cli_sync(emu, delta, "soft")
    left = _tables(delta, *ROOTS)
    assert _flagged(left["conversations"]) == {conversation}
    assert _flagged(left["conversation_parts"]) == {
        str(r["id"]) for r in _of(loaded["conversation_parts"], "conversation_id", conversation)
    }
    assert [r["_merged_into_id"] for r in _of(left["contacts"], "id", lead)] == [user]

    # The next run deletes what that run left flagged.
    _cli_sync(emu, delta)
    duck.sync(emu, resources=RESOURCES, deletes="hard")

    got = _tables(delta)
    # Gone, with every row that hung on them.
    assert conversation not in {str(r["id"]) for r in got["conversations"]}
    for table in ("conversations__contacts", "conversations__tags", "conversation_parts"):
        assert _of(got[table], "conversation_id", conversation) == [], table
    assert lead not in {str(r["id"]) for r in got["contacts"]}
    assert _of(got["contacts__tags"], "contact_id", lead) == []
    for table in ROOTS:
        assert _flagged(got[table]) == set(), table
    for table in ("contacts", "conversations"):  # the live rows: the workspace's
        assert mismatches(got[table], truth(emu, table)) == [], table
    # No orphans: every nested row's root row is still there.
    schema = delta.pipeline().default_schema
    for table, rows in got.items():
        if schema.tables[table].get("parent"):
            root_ids = {r["_dlt_id"] for r in got[_root(schema, table)]}
            assert {r["_dlt_root_id"] for r in rows} <= root_ids, table
    # Row for row what DuckDB's hard mode holds (row keys are hashes of the records' ids).
    reference = _tables(duck)
    assert set(got) == set(reference)
    for table, rows in got.items():
        assert mismatches(rows, reference[table], key="_dlt_id") == [], table
    # Nothing flagged is left: the step run again deletes nothing.
    assert delete_flagged_rows(delta.pipeline()) == 0


def _root(schema: Any, table: str) -> str:
    while schema.tables[table].get("parent"):
        table = schema.tables[table]["parent"]
    return table
