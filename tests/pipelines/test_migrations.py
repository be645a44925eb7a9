"""A warehouse loaded by an earlier version keeps working: the next run migrates its columns
(ids to text, readable attribute names, parent ids in nested tables) without failing and
without dlt variant columns (`pipelines/migrations.py`, docs/tables-naming.md).

The old warehouse is real: `intercom-sync run` of the commit before these changes
(`OLD_COMMIT`, on main), extracted with `git archive` and run from the same venv against the
same emulator over HTTP. CI clones main with its history, so the commit is there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.pipelines.helpers import REPO, clean_env, cli, run_args

# main before issue 19 items 17-20: BIGINT assignee ids, `ticket_attributes___default_titlex`,
# `value`-only priority tables, the staging dataset left beside the data.
OLD_COMMIT = "1cba3b89f18d48c8c5de3c6a17a6a8f29aa2e768"
DATASET = "intercom_raw"


def _old_checkout(tmp_path: Path) -> Path:
    target = tmp_path / "old-code"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", OLD_COMMIT, "sources", "pipelines", "emulator"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.fail(f"git archive {OLD_COMMIT} failed (a shallow clone?): {archive.stderr!r}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _sync_with_old_code(emulator, tmp_path: Path) -> None:
    old = _old_checkout(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *run_args(emulator, tmp_path, "--no-progress")],
        cwd=old,
        env=clean_env(emulator.token, {"PYTHONPATH": str(old)}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _columns(db: Path) -> dict[str, dict[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            f"WHERE schema_name = '{DATASET}'"
        ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_a_warehouse_of_the_previous_version_is_migrated(emulator, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    _sync_with_old_code(emulator, tmp_path)
    before = _columns(db)
    # the old shapes this test is about (else it proves nothing)
    assert before["conversations"]["admin_assignee_id"] == "BIGINT"
    assert "ticket_attributes___default_titlex" in before["tickets"]
    assert "custom_attributes__favourite_emojix" in before["contacts"]
    assert set(before["teams__admin_priority_level__primary_admin_ids"]) - {
        "_dlt_parent_id",
        "_dlt_list_idx",
        "_dlt_id",
    } == {"value"}
    titles_before = dict(
        _query(db, f"SELECT id, ticket_attributes___default_titlex FROM {DATASET}.tickets")
    )
    assigned_before = _query(
        db,
        f"SELECT count(*) FROM {DATASET}.conversations "
        "WHERE admin_assignee_id IS NOT NULL AND admin_assignee_id <> 0",
    )[0][0]

    emulator.advance(3600)  # some records change, most do not
    new = cli(run_args(emulator, tmp_path, "--no-progress"), tmp_path, emulator.token)
    assert new.returncode == 0, new.stderr[-3000:]

    after = _columns(db)
    variants = [(t, c) for t, cols in after.items() for c in cols if "__v_" in c]
    assert variants == []
    not_text = [
        (t, c, ty)
        for t, cols in after.items()
        for c, ty in cols.items()
        if (c == "id" or c.endswith("_id"))
        and not c.startswith(("_dlt", "custom_attributes"))
        and ty != "VARCHAR"
    ]
    assert not_text == []
    # renamed, the values of records this run did not touch kept
    assert "ticket_attributes___default_titlex" not in after["tickets"]
    assert "custom_attributes__favourite_emojix" not in after["contacts"]
    assert "custom_attributes__favourite_emoji" in after["contacts"]
    titles_after = dict(
        _query(db, f"SELECT id, ticket_attributes__default_title FROM {DATASET}.tickets")
    )
    assert {k: titles_after[k] for k in titles_before} == titles_before
    # unassigned (2.16's 0) is NULL; every assignee joins an admin without a cast
    assert (
        _query(db, f"SELECT count(*) FROM {DATASET}.conversations WHERE admin_assignee_id = '0'")[
            0
        ][0]
        == 0
    )
    joined = _query(
        db,
        f"SELECT count(*) FROM {DATASET}.conversations c "
        f"JOIN {DATASET}.admins a ON a.id = c.admin_assignee_id",
    )[0][0]
    assert joined >= assigned_before > 0
    # nested tables: parent ids everywhere, also in rows this run did not reload
    for table, column in [
        ("teams__admin_priority_level__primary_admin_ids", "team_id"),
        ("conversations__linked_objects__data", "conversation_id"),
        ("tickets__linked_objects__data", "ticket_id"),
        ("data_attributes__options", "data_attribute_name"),
        (
            "ticket_types__ticket_type_attributes__input_options__list_options",
            "ticket_type_attribute_id",
        ),
    ]:
        assert "value" not in after[table] or table == "data_attributes__options", table
        missing = _query(db, f"SELECT count(*) FROM {DATASET}.{table} WHERE {column} IS NULL")
        assert missing == [(0,)], table

    assert "migrated:" in new.stderr  # the run says what it changed

    # dlt's stored schema agrees with the tables: a third run changes nothing and adds nothing
    third = cli(run_args(emulator, tmp_path, "--no-progress"), tmp_path, emulator.token)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "migrated:" not in third.stderr
    assert _columns(db) == after
