"""Tables that join naturally, checked in SQL on a warehouse `intercom-sync run` loaded from
the emulator over HTTP (docs/tables-naming.md): ids are text everywhere and join without a
cast, every nested table carries its parent's id, attribute columns have readable names."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pytest

from emulator.testing import running_emulator
from tests.conftest import TINY
from tests.helpers.cli import cli, run_args

DATASET = "intercom_raw"
# The parent key column(s) of nested tables whose parent has no single `id`.
PARENT_KEYS = {"data_attributes": ("data_attribute_model", "data_attribute_name")}
PARENT_KEY_SOURCES = {"data_attribute_model": "model", "data_attribute_name": "name"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One sync for every check here: (DuckDB file, pipelines dir)."""
    tmp_path = tmp_path_factory.mktemp("join")
    with running_emulator(TINY) as emu:
        result = cli(run_args(emu, tmp_path, "--no-progress"), tmp_path, emu.token)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp_path / "warehouse.duckdb", tmp_path / "pipelines"


def _sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


def _columns(db: Path) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in _sql(
        db,
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        f"WHERE schema_name = '{DATASET}'",
    ):
        tables.setdefault(table, {})[column] = data_type
    return tables


def _parent_keys(parent: str) -> tuple[str, ...]:
    """`teams` -> team_id, `ticket_types__ticket_type_attributes` -> ticket_type_attribute_id."""
    last = parent.rsplit("__", 1)[-1]
    if last in PARENT_KEYS:
        return PARENT_KEYS[last]
    singular = last[:-3] + "y" if last.endswith("ies") else last.removesuffix("s")
    return (f"{singular}_id",)


def test_every_id_column_is_text_and_joins_without_a_cast(warehouse) -> None:
    db, _ = warehouse
    not_text = [
        (table, column, data_type)
        for table, columns in _columns(db).items()
        for column, data_type in columns.items()
        if (column == "id" or column.endswith("_id"))
        and not column.startswith(("_dlt", "custom_attributes__", "ticket_attributes__"))
        and data_type != "VARCHAR"
    ]
    assert not_text == []
    (assigned, joined, zero) = _sql(
        db,
        f"""SELECT count(c.admin_assignee_id), count(a.id),
                   count(*) FILTER (WHERE c.admin_assignee_id = '0')
            FROM {DATASET}.conversations c
            LEFT JOIN {DATASET}.admins a ON a.id = c.admin_assignee_id""",
    )[0]
    assert assigned > 0 and joined == assigned and zero == 0  # unassigned is NULL, not '0'
    (teams,) = _sql(
        db,
        f"SELECT count(*) FROM {DATASET}.conversations c "
        f"JOIN {DATASET}.teams t ON t.id = c.team_assignee_id",
    )[0]
    assert teams > 0


def test_every_nested_table_carries_its_parents_id(warehouse) -> None:
    db, pipelines_dir = warehouse
    schema = dlt.attach("intercom", pipelines_dir=str(pipelines_dir)).default_schema
    nested = {
        name: table["parent"]
        for name, table in schema.tables.items()
        if "parent" in table and not name.startswith("_dlt")
    }
    assert "teams__admin_priority_level__primary_admin_ids" in nested
    columns = _columns(db)
    problems = []
    for table, parent in sorted(nested.items()):
        if table not in columns:
            continue  # no rows in this world
        for key in _parent_keys(parent):
            if key not in columns[table]:
                problems.append(f"{table}: no {key}")
                continue
            source = PARENT_KEY_SOURCES.get(key, "id")
            (wrong,) = _sql(
                db,
                f"SELECT count(*) FROM {DATASET}.{table} c "
                f"LEFT JOIN {DATASET}.{parent} p ON p._dlt_id = c._dlt_parent_id "
                f"WHERE c.{key} IS DISTINCT FROM CAST(p.{source} AS VARCHAR)",
            )[0]
            if wrong:
                problems.append(f"{table}.{key}: {wrong} rows differ from {parent}.{source}")
    assert problems == []


def test_attribute_columns_are_readable(warehouse) -> None:
    db, _ = warehouse
    attribute_columns = [
        column
        for columns in _columns(db).values()
        for column in columns
        if column.startswith(("custom_attributes__", "ticket_attributes__"))
    ]
    assert "ticket_attributes__default_title" in attribute_columns  # `_default_title_`
    assert "custom_attributes__favourite_emoji" in attribute_columns  # `favourite_emoji 🎈`
    assert "custom_attributes__priorite" in attribute_columns  # `Priorité 🔥`
    mangled = [c for c in attribute_columns if "___" in c or c.endswith("x")]
    assert mangled == []
