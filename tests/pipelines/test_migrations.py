"""A warehouse loaded by an earlier version keeps working: the next run migrates its columns
(ids to text, readable attribute names, parent ids in nested tables) without failing and
without dlt variant columns (`pipelines/run/migrations.py`, docs/tables-naming.md).

The old warehouse is real: `intercom-sync run` of the commit before these changes
(`OLD_COMMIT`, on main), extracted with `git archive` and run from the same venv against the
same emulator over HTTP. CI clones main with its history, so the commit is there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from tests.helpers.cli import REPO, clean_env, cli, run_args
from tests.helpers.destinations import drop_postgres_schema, postgres_dsn

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


class Warehouse:
    """The warehouse of one destination, read in SQL as an analyst would."""

    def __init__(self, destination: str, tmp_path: Path) -> None:
        self.destination = destination
        self.db = tmp_path / "warehouse.duckdb"
        self.dataset = DATASET
        self.env: dict[str, str] = {}
        self.args: list[str] = []
        if destination == "postgres":
            self.dsn = postgres_dsn()
            self.dataset = f"migration_{uuid.uuid4().hex[:8]}"
            self.env = {"DESTINATION__POSTGRES__CREDENTIALS": self.dsn}
            self.args = ["--destination", "postgres", "--dataset", self.dataset]

    def table(self, path: str) -> str:
        """The table dlt makes of `path` here (Postgres: names shortened to 63 characters)."""
        return NamingConvention(63).normalize_path(path) if self.destination == "postgres" else path

    def query(self, sql: str) -> list[tuple]:
        sql = sql.replace("{ds}", self.dataset)
        if self.destination == "postgres":
            import psycopg2

            with psycopg2.connect(self.dsn) as con, con.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.sql(sql).fetchall()

    def columns(self) -> dict[str, dict[str, str]]:
        """table -> column -> `text` / `bigint` / … (the destination's type, lower case)."""
        tables: dict[str, dict[str, str]] = {}
        for table, column, data_type in self.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = '{ds}'"
        ):
            kind = str(data_type).lower()
            tables.setdefault(table, {})[column] = "text" if kind in TEXT else kind
        return tables

    def drop(self) -> None:
        if self.destination == "postgres":
            drop_postgres_schema(self.dsn, self.dataset)


TEXT = {"varchar", "character varying", "text"}


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    made = Warehouse(request.param, tmp_path)
    yield made
    made.drop()


def _sync_with_old_code(emulator, tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    old = _old_checkout(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            *run_args(emulator, tmp_path, "--no-progress", *args),
        ],
        cwd=old,
        env=clean_env(emulator.token, {"PYTHONPATH": str(old), **env}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_a_warehouse_of_the_previous_version_is_migrated(
    emulator, tmp_path: Path, warehouse: Warehouse
) -> None:
    w = warehouse
    _sync_with_old_code(emulator, tmp_path, w.args, w.env)
    before = w.columns()
    # the old shapes this test is about (else it proves nothing)
    assert before["conversations"]["admin_assignee_id"] == "bigint"
    assert "ticket_attributes___default_titlex" in before["tickets"]
    assert "custom_attributes__favourite_emojix" in before["contacts"]
    assert set(before["teams__admin_priority_level__primary_admin_ids"]) - {
        "_dlt_parent_id",
        "_dlt_list_idx",
        "_dlt_id",
    } == {"value"}
    titles_before = dict(w.query("SELECT id, ticket_attributes___default_titlex FROM {ds}.tickets"))
    assigned_before = w.query(
        "SELECT count(*) FROM {ds}.conversations "
        "WHERE admin_assignee_id IS NOT NULL AND admin_assignee_id <> 0"
    )[0][0]

    emulator.advance(3600)  # some records change, most do not
    if w.destination == "duckdb":
        # a scheduler on a fresh machine: no local pipeline state, the warehouse has it
        shutil.rmtree(tmp_path / "pipelines")
    args = run_args(emulator, tmp_path, "--no-progress", *w.args)
    new = cli(args, tmp_path, emulator.token, w.env)
    assert new.returncode == 0, new.stderr[-3000:]

    after = w.columns()
    variants = [(t, c) for t, cols in after.items() for c in cols if "__v_" in c]
    assert variants == []
    not_text = [
        (t, c, ty)
        for t, cols in after.items()
        for c, ty in cols.items()
        if (c == "id" or c.endswith("_id"))
        and not c.startswith(("_dlt", "custom_attributes"))
        and ty != "text"
    ]
    assert not_text == []
    # renamed, the values of records this run did not touch kept
    assert "ticket_attributes___default_titlex" not in after["tickets"]
    assert "custom_attributes__favourite_emojix" not in after["contacts"]
    assert "custom_attributes__favourite_emoji" in after["contacts"]
    titles_after = dict(w.query("SELECT id, ticket_attributes__default_title FROM {ds}.tickets"))
    assert {k: titles_after[k] for k in titles_before} == titles_before
    # unassigned (2.16's 0) is NULL; every assignee joins an admin without a cast
    zero = w.query("SELECT count(*) FROM {ds}.conversations WHERE admin_assignee_id = '0'")
    assert zero == [(0,)]
    joined = w.query(
        "SELECT count(*) FROM {ds}.conversations c JOIN {ds}.admins a ON a.id = c.admin_assignee_id"
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
        assert "value" not in after[w.table(table)] or table == "data_attributes__options", table
        missing = w.query(f'SELECT count(*) FROM {{ds}}."{w.table(table)}" WHERE {column} IS NULL')
        assert missing == [(0,)], table
    assert "migrated:" in new.stderr  # the run says what it changed

    # dlt's stored schema agrees with the tables: a third run changes nothing and adds nothing
    third = cli(args, tmp_path, emulator.token, w.env)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "migrated:" not in third.stderr
    assert w.columns() == after


@pytest.mark.parametrize("table_format", [None, "delta"])
def test_a_filesystem_warehouse_of_the_previous_version_is_warned_about(
    emulator, tmp_path: Path, table_format: str | None
) -> None:
    """Files are not altered in place: the run says so and names the fix (a full refresh),
    after which the warning is gone."""
    env = {"DESTINATION__FILESYSTEM__BUCKET_URL": (tmp_path / "bucket").as_uri()}
    args = ["--destination", "filesystem", "--resources", "conversations"]
    args += ["--table-format", table_format] if table_format else []
    _sync_with_old_code(emulator, tmp_path, args, env)  # BIGINT assignee ids

    new = cli(run_args(emulator, tmp_path, "--no-progress", *args), tmp_path, emulator.token, env)
    warning = (
        "tables loaded by an earlier version have old column names/types; on filesystem they "
        "are not migrated in place: run once with --full-refresh (docs/tables-naming.md)"
    )
    assert warning in new.stderr, new.stderr[-3000:]
    assert "migrated:" not in new.stderr

    refresh = [*args, "--full-refresh"]
    refreshed = cli(
        run_args(emulator, tmp_path, "--no-progress", *refresh), tmp_path, emulator.token, env
    )
    assert refreshed.returncode == 0, refreshed.stderr[-3000:]
    assert "not migrated in place" not in refreshed.stderr
    after = cli(run_args(emulator, tmp_path, "--no-progress", *args), tmp_path, emulator.token, env)
    assert after.returncode == 0, after.stderr[-3000:]
    assert "not migrated in place" not in after.stderr
