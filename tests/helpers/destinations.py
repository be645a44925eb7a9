"""Destinations for `intercom-sync`: the same syncs on DuckDB, PostgreSQL, SQLite (dlt's
SQLAlchemy destination, which merges by delete-insert), and the filesystem destination (plain
parquet, and delta tables).

`target` (parametrized) is one destination, configured the way a user would: through dlt's
environment variables (`DESTINATION__POSTGRES__CREDENTIALS`, `DESTINATION__FILESYSTEM__
BUCKET_URL`). PostgreSQL comes from `INTERCOM_SYNC_TEST_POSTGRES_DSN` (`.ci/start-postgres`
prints it); without it the postgres cases skip, except in CI (`CI` set) where they fail.

    target.sync(emu)   -> SyncResult   one `run_sync` of this target's pipeline
    target.read(table) -> list[dict]   the table as a user should read it: for merging
                                       destinations the table itself; for plain parquet (which
                                       only appends) the documented "latest version" query
    target.pipeline()  -> dlt.Pipeline the pipeline, attached to its destination
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt
import pytest

from pipelines.run.construct import make_destination
from pipelines.run.options import SyncOptions, SyncResult
from pipelines.run.sync import run_sync
from sources.intercom.dlt_compat import cursor_column_names
from tests.convergence.compare import parse_text_timestamps

# "Latest version of each row" on a destination that only appends (plain parquet files):
# the newest load of each primary key; nested rows belong to that version of their parent.
# The same queries are documented in README.md ("Destinations").
LATEST_ROOT_SQL = (
    "SELECT * FROM {table} "
    "QUALIFY row_number() OVER (PARTITION BY id ORDER BY _dlt_load_id DESC) = 1"
)


LATEST_NESTED_SQL = (
    "SELECT n.* FROM {table} AS n JOIN ({latest_parent}) AS p ON n._dlt_parent_id = p._dlt_id"
)


class Target:
    def __init__(
        self,
        name: str,
        root: Path,
        destination: str,
        env: dict[str, str],
        table_format: str | None = None,
        merges: bool = True,
    ) -> None:
        self.name = name
        self.root = root
        self.destination = destination
        self.env = env
        self.table_format = table_format
        self.merges = merges  # False: merge tables are appended to (plain parquet)
        # Unique per test: a shared Postgres keeps datasets between runs, and dlt would
        # restore a stale pipeline state from an old dataset of the same name.
        self.dataset = f"t_{uuid.uuid4().hex[:10]}"
        self.pipeline_name = "intercom"
        self._session: tuple[dlt.Pipeline, Any] | None = None

    def options(self, emu: Any, **overrides: Any) -> SyncOptions:
        values: dict[str, Any] = {
            "destination": self.destination,
            "duckdb_file": str(self.root / "warehouse.duckdb"),
            "dataset": self.dataset,
            "pipeline_name": self.pipeline_name,
            "pipelines_dir": str(self.root / "pipelines"),
            "base_url": emu.base_url,
            "access_token": emu.token,
            "progress": False,
            "table_format": self.table_format,
        }
        values.update(overrides)
        return SyncOptions(**values)

    def sync(self, emu: Any, **overrides: Any) -> SyncResult:
        return run_sync(self.options(emu, **overrides))

    def pipeline(self) -> dlt.Pipeline:
        return dlt.attach(
            pipeline_name=self.pipeline_name,
            pipelines_dir=str(self.root / "pipelines"),
            destination=make_destination(self.destination, str(self.root / "warehouse.duckdb")),
        )

    def read(self, table: str) -> list[dict]:
        if self._session is not None:
            return self._read(*self._session, table)
        pipeline = self.pipeline()
        if self.table_format == "delta":
            return self._read(pipeline, None, table)
        with pipeline.sql_client() as client:
            return self._read(pipeline, client, table)

    @contextmanager
    def session(self) -> Iterator[Target]:
        """Reads within share one attached pipeline and one connection: opening them costs
        about as much as reading a tiny table."""
        pipeline = self.pipeline()
        with contextlib.ExitStack() as stack:
            client = (
                None if self.table_format == "delta" else stack.enter_context(pipeline.sql_client())
            )
            self._session = (pipeline, client)
            try:
                yield self
            finally:
                self._session = None

    def _read(self, pipeline: dlt.Pipeline, client: Any, table: str) -> list[dict]:
        schema_tables = pipeline.default_schema.tables
        if table not in schema_tables:
            return []
        if self.table_format == "delta":
            from dlt.common.libs.deltalake import get_delta_tables

            return get_delta_tables(pipeline, table)[table].to_pyarrow_table().to_pylist()
        query = f"SELECT * FROM {client.make_qualified_table_name(table)}"
        if not self.merges and schema_tables[table].get("write_disposition") != "replace":
            query = latest_version_sql(pipeline, table, client.make_qualified_table_name)
        with client.execute_query(query) as cursor:
            names = cursor_column_names(cursor)
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return parse_text_timestamps(rows, schema_tables[table]["columns"])


def latest_version_sql(pipeline: dlt.Pipeline, table: str, qualify: Any) -> str:
    """The newest version of each row of `table` on an append-only destination."""
    parent = pipeline.default_schema.tables[table].get("parent")
    if parent is None:
        return LATEST_ROOT_SQL.format(table=qualify(table))
    return LATEST_NESTED_SQL.format(
        table=qualify(table), latest_parent=latest_version_sql(pipeline, parent, qualify)
    )


POSTGRES_DSN_VAR = "INTERCOM_SYNC_TEST_POSTGRES_DSN"


def postgres_dsn() -> str:
    dsn = os.environ.get(POSTGRES_DSN_VAR)
    if dsn:
        return dsn
    message = f'{POSTGRES_DSN_VAR} is not set (start one with: eval "$(.ci/start-postgres)")'
    if os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL: {message}")
    pytest.skip(message)


def drop_postgres_schema(dsn: str, schema: str) -> None:
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        for name in (schema, f"{schema}_staging"):
            cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
