"""The `target` fixture: one destination per parameter (`tests.helpers.destinations.Target`,
whose docstring says how each is configured and read)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.destinations import Target, drop_postgres_schema, postgres_dsn

# SQLite through dlt's SQLAlchemy destination stands in for the destinations that cannot
# upsert (Redshift, ClickHouse …): the sync merges there with delete-insert.
TARGETS = ["duckdb", "postgres", "sqlite", "filesystem-parquet", "filesystem-delta"]


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in list(os.environ):
        if name.startswith(("SOURCES__", "DESTINATION__")) or name == "INTERCOM_ACCESS_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no repo .dlt/ config


def make_target(name: str, root: Path) -> Target:
    if name == "duckdb":
        return Target(name, root, "duckdb", {})
    if name == "postgres":
        dsn = postgres_dsn()
        return Target(name, root, "postgres", {"DESTINATION__POSTGRES__CREDENTIALS": dsn})
    if name == "sqlite":
        url = f"sqlite:///{root / 'warehouse.sqlite'}"
        # SQLite takes one writer at a time: one load job at a time, or dlt's parallel jobs
        # fail with "database is locked" and are retried.
        env = {"DESTINATION__SQLALCHEMY__CREDENTIALS": url, "LOAD__WORKERS": "1"}
        return Target(name, root, "sqlalchemy", env)
    bucket = {"DESTINATION__FILESYSTEM__BUCKET_URL": (root / "bucket").as_uri()}
    if name == "filesystem-parquet":
        return Target(name, root, "filesystem", bucket, merges=False)
    if name == "filesystem-delta":
        return Target(name, root, "filesystem", bucket, table_format="delta")
    raise ValueError(name)


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Iterator[Target]:
    made = make_target(request.param, tmp_path)
    for key, value in made.env.items():
        monkeypatch.setenv(key, value)
    yield made
    if made.destination == "postgres":
        drop_postgres_schema(made.env["DESTINATION__POSTGRES__CREDENTIALS"], made.dataset)
