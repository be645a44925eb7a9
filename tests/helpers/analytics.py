"""Syncing an emulator world and building the dbt models on it, for the analytics tests.

`sync_and_build(root, **options)` syncs a tiny world through `intercom-sync`'s runner, advances
it, then runs `intercom-sync run --transform --fivetran-schema` (in process): an incremental
sync (merges, parts that leave the API's newest-500 window, deletions, merges) and the dbt
models through dlt's dbt runner (dbt run + dbt test), with the Fivetran-shaped views. It
records which parts the warehouse can hold (every part visible to the API at one of the
syncs), so the truth from `emulator.world.metrics` describes exactly what the warehouse can
know.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from emulator.world.activity import advance
from emulator.world.truth import truth_rows

DATASET = "intercom_data"


# Tiny world, more conversations and tickets than the default so every mart has real groups.
WORLD = WorldConfig(seed=11, scale="tiny", counts={"conversations": 160, "tickets": 40})


ADVANCE_SECONDS = 3 * 24 * 3600


@dataclass
class Built:
    world: Any
    held_part_ids: set[str]
    transform: Any
    query: Callable[[str], list[dict]]  # SQL -> rows as dicts
    schema: str
    # how a dbt child process reaches the same warehouse (analytics/profiles.yml's variables)
    dbt_env: dict[str, str] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict]:
        return self.query(f'SELECT * FROM "{self.schema}"."{table}"')


def _visible_part_ids(world: Any) -> set[str]:
    return {
        p["id"]
        for entity in ("conversation_parts", "ticket_parts")
        for p in truth_rows(world, entity)
        if p["visible"]
    }


@contextlib.contextmanager
def isolated_env(root: Path, **extra: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ["DLT_DATA_DIR"] = str(root / "dlt_data")
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Transformed:
    models: int
    tests: int
    schema: str
    fivetran_schema: str


def _cli_run_with_transform(args: list[str], token: str) -> Transformed:
    """`intercom-sync run … --transform --fivetran-schema` in this process; its summary lines
    say what dbt did."""
    from pipelines.cli import main

    out = io.StringIO()
    os.environ["SOURCES__INTERCOM__ACCESS_TOKEN"] = token
    with contextlib.redirect_stdout(out):
        code = main(["run", *args, "--no-progress", "--transform", "--fivetran-schema"])
    assert code == 0, out.getvalue()
    found = re.search(
        r"dbt: (\d+) models built, (\d+) tests passed \(schema (\w+)\)", out.getvalue()
    )
    assert found, out.getvalue()
    fivetran = re.search(r"Fivetran-shaped views: schema (\w+)", out.getvalue())
    assert fivetran, out.getvalue()
    return Transformed(int(found[1]), int(found[2]), found[3], fivetran[1])


def sync_and_build(root: Path, **options: Any) -> Iterator[tuple[Any, set[str], Transformed]]:
    """Sync, let the world move on, then `intercom-sync run --transform --fivetran-schema`
    (second, incremental sync + dbt run + dbt test); yields (world, held part ids, what dbt
    built)."""
    from pipelines.run.options import SyncOptions
    from pipelines.run.sync import run_sync

    with running_emulator(WORLD, api_version="2.16") as emu:
        sync_options = SyncOptions(
            pipeline_name="analytics_test",
            pipelines_dir=str(root / "pipelines"),
            base_url=emu.base_url,
            access_token=emu.token,
            progress=False,
            **options,
        )
        run_sync(sync_options)
        held = _visible_part_ids(emu.world)
        advance(emu.world, ADVANCE_SECONDS)
        cli_args = [
            "--pipeline-name", sync_options.pipeline_name,
            "--pipelines-dir", str(sync_options.pipelines_dir),
            "--destination", sync_options.destination,
            "--duckdb-file", sync_options.duckdb_file,
            "--dataset", sync_options.dataset,
            "--base-url", emu.base_url,
        ]  # fmt: skip
        transformed = _cli_run_with_transform(cli_args, emu.token)
        held |= _visible_part_ids(emu.world)
        yield emu.world, held, transformed


def duckdb_query(path: Path) -> Callable[[str], list[dict]]:
    def query(sql: str) -> list[dict]:
        with duckdb.connect(str(path), read_only=True) as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    return query


def comparable(value: Any) -> Any:
    """Warehouse and truth values in one shape: timestamps as Unix seconds, ids as strings."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, bool) or value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def same(a: Any, b: Any) -> bool:
    a, b = comparable(a), comparable(b)
    if isinstance(a, float) or isinstance(b, float):
        # medians/averages: SQL and Python may round the last bit differently
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


# The grain of each mart: the truth is keyed the same way.
KEYS: dict[str, tuple[str, ...]] = {
    "conversation_metrics": ("conversation_id",),
    "conversation_enhanced": ("conversation_id",),
    "admin_metrics": ("admin_id",),
    "team_metrics": ("team_id",),
    "company_metrics": ("company_id",),
    "contact_enhanced": ("contact_id",),
    "company_enhanced": ("company_id",),
    "ticket_metrics": ("ticket_type_id", "ticket_state_category"),
    "daily_conversation_volume": ("date_day",),
}


def mart_key(row: dict, names: tuple[str, ...]) -> Any:
    return row[names[0]] if len(names) == 1 else tuple(row[n] for n in names)
