"""The same models build on Postgres and give the same answers (portable SQL).

Needs a server: `INTERCOM_SYNC_TEST_POSTGRES_DSN` (the `built_pg` fixture in conftest.py; CI
starts one with `.ci/start-postgres`). Without it the test is skipped locally and fails under
CI, so a missing server is never hidden.
"""

from __future__ import annotations

from emulator.world.metrics import marts
from tests.helpers.analytics import KEYS, Built, mart_key, same

# Postgres sorts text by its collation, DuckDB and Python by code point: compare list columns
# as sorted items.
LIST_COLUMNS = {"tag_names", "contact_ids", "company_names", "segment_names"}


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
