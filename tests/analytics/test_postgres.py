"""The same models build on Postgres and give the same answers (portable SQL).

Needs a server: `INTERCOM_SYNC_TEST_POSTGRES_DSN` (CI starts one with `.ci/start-postgres`).
Without it the test is skipped locally and fails under CI, so a missing server is never hidden.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from emulator.world.metrics import marts
from tests.helpers.analytics import KEYS, Built, isolated_env, mart_key, same, sync_and_build

DSN = os.environ.get("INTERCOM_SYNC_TEST_POSTGRES_DSN")
# Postgres sorts text by its collation, DuckDB and Python by code point: compare list columns
# as sorted items.
LIST_COLUMNS = {"tag_names", "contact_ids", "company_names", "segment_names"}


@pytest.fixture(scope="module")
def built_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    if not DSN:
        if os.environ.get("CI"):
            pytest.fail("CI is set but INTERCOM_SYNC_TEST_POSTGRES_DSN is not")
        pytest.skip("no Postgres server (set INTERCOM_SYNC_TEST_POSTGRES_DSN)")
    import psycopg2

    root = tmp_path_factory.mktemp("analytics_pg")
    dataset = f"analytics_{uuid.uuid4().hex[:8]}_raw"

    def query(sql: str) -> list[dict]:
        with psycopg2.connect(DSN) as con, con.cursor() as cur:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    env = {"DESTINATION__POSTGRES__CREDENTIALS": DSN}
    try:
        with isolated_env(root, **env):
            for world, held, result in sync_and_build(
                root, destination="postgres", dataset=dataset
            ):
                yield Built(world, held, result, query, result.schema)
    finally:
        with psycopg2.connect(DSN) as con, con.cursor() as cur:
            for schema in (dataset, dataset.replace("_raw", "_analytics")):
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _normal(column: str, value: object) -> object:
    if column in LIST_COLUMNS and isinstance(value, str):
        return sorted(value.split(", "))
    return value


def test_every_mart_equals_truth_on_postgres(built_pg: Built) -> None:
    truth = marts(built_pg.world, built_pg.held_part_ids)
    assert built_pg.transform.tests >= 50
    for mart, names in KEYS.items():
        loaded = {mart_key(r, names): r for r in built_pg.rows(mart)}
        expected = truth[mart]
        assert sorted(map(str, loaded)) == sorted(map(str, expected)), mart
        problems = [
            f"{mart} {key}.{column}: {loaded[key][column]!r} != {want[column]!r}"
            for key, want in expected.items()
            for column in want
            if not same(_normal(column, loaded[key][column]), _normal(column, want[column]))
        ]
        assert not problems, problems[:10]
