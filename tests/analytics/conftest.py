"""One emulator sync + dbt build shared by the tests of a module: the `built` fixture
(`tests.helpers.analytics.sync_and_build`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.analytics import DATASET, Built, duckdb_query, isolated_env, sync_and_build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("analytics")
    db = root / "warehouse.duckdb"
    with isolated_env(root):
        for world, held, result in sync_and_build(root, duckdb_file=str(db), dataset=DATASET):
            yield Built(world, held, result, duckdb_query(db), result.schema)
