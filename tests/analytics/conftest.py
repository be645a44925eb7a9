"""One emulator sync + dbt build per destination, shared by every test of the session that
needs it (`tests.helpers.analytics.sync_and_build`): `built` on DuckDB, `built_pg` on
PostgreSQL. A sync takes a minute or more; the analytics tests must not repeat it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.helpers.analytics import DATASET, Built, duckdb_query, isolated_env, sync_and_build

DSN = os.environ.get("INTERCOM_SYNC_TEST_POSTGRES_DSN")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("analytics")
    db = root / "warehouse.duckdb"
    # The environment is set for the sync only: the other tests of the session keep theirs.
    with isolated_env(root):
        runs = sync_and_build(root, duckdb_file=str(db), dataset=DATASET)
        world, held, result = next(runs)
    env = {"INTERCOM_DBT_TARGET": "duckdb", "INTERCOM_DUCKDB_FILE": str(db)}
    try:
        yield Built(world, held, result, duckdb_query(db), result.schema, env)
    finally:
        runs.close()


def postgres_env(dsn: str) -> dict[str, str]:
    """analytics/profiles.yml's PostgreSQL variables for `dsn`."""
    url = urlparse(dsn)
    return {
        "INTERCOM_DBT_TARGET": "postgres",
        "PGHOST": url.hostname or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.path.lstrip("/") or "postgres",
    }


@pytest.fixture(scope="session")
def built_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Needs a server: `INTERCOM_SYNC_TEST_POSTGRES_DSN` (CI starts one with
    `.ci/start-postgres`). Without it the tests are skipped locally and fail under CI, so a
    missing server is never hidden. Every schema the session creates is dropped after it."""
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

    try:
        with isolated_env(root, DESTINATION__POSTGRES__CREDENTIALS=DSN):
            runs = sync_and_build(root, destination="postgres", dataset=dataset)
            world, held, result = next(runs)
        try:
            yield Built(world, held, result, query, result.schema, postgres_env(DSN))
        finally:
            runs.close()
    finally:
        prefix = dataset.replace("_raw", "")
        with psycopg2.connect(DSN) as con, con.cursor() as cur:
            cur.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{prefix}\\_%",)
            )
            for (schema,) in cur.fetchall():
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
