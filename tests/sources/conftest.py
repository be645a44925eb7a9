"""Helpers for source tests: run the `intercom` source against an emulator into a tmp DuckDB,
loaded as `intercom-sync` loads it (`tests/helpers/duckdb_pipeline.py`).

Fixtures (all function-scoped, isolated under `tmp_path`):

    sync(emu, *, resources=None, pipeline_name="t", **source_kwargs) -> LoadInfo
        Runs the source against `emu` (base_url + token from the emulator; api_version from
        `emu.api_version` when it has one, else pass `api_version=` yourself). Raises on any
        failed load job. The same `pipeline_name` keeps state between calls (incremental runs).
    rows(table, pipeline_name="t") -> list[dict]
        Every row of a destination table (columns as loaded; timestamps are datetimes).
    loaded(pipeline_name="t") -> dict[str, int]
        Rows per table normalized by the *last* `sync` of that pipeline (0 for absent tables).
    pipeline(pipeline_name="t") -> dlt.Pipeline
        The pipeline object (schema, state, sql_client) of a previous `sync`.
    emulator(*, api_version="2.16", seed=3, scale="tiny", **world_kwargs_and_settings) -> emu
        Starts an emulator (stopped at teardown). WorldConfig keys (counts, timezone,
        start_time, storage) go to the world, anything else to `running_emulator` (control
        settings, e.g. index_lag_seconds=600, mutate_during_pagination=2, faults=…).

Plain helpers: `truth(emu, entity)` (list of the world's truth), `unix(value)` (datetime/int
-> Unix seconds), `by_id(rows)`, `pairs(rows, a, b)`, `mismatches(rows, truth_rows)` (every
shared field compared, ids as text; [] when the warehouse equals the truth), `settle(emu)` (data clock +1 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.common.pipeline import LoadInfo

from tests.helpers.duckdb_pipeline import duckdb_pipeline

DATASET = "intercom_data"  # differs from the DuckDB file stem on purpose (DLT-NOTES)


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep dlt's data dir, telemetry and tokens from leaking between tests."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("INTERCOM_ACCESS_TOKEN", "SOURCES__INTERCOM__ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # Tests build their config from arguments; don't pick up the repo's .dlt/ files.
    monkeypatch.chdir(tmp_path)


class _Warehouse:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pipelines: dict[str, dlt.Pipeline] = {}

    def pipeline(self, pipeline_name: str = "t") -> dlt.Pipeline:
        if pipeline_name not in self.pipelines:
            self.pipelines[pipeline_name] = duckdb_pipeline(
                pipeline_name, self.root / "pipelines", self.root / f"{pipeline_name}.db", DATASET
            )
        return self.pipelines[pipeline_name]

    def sync(
        self,
        emu: Any,
        *,
        resources: list[str] | None = None,
        pipeline_name: str = "t",
        **source_kwargs: Any,
    ) -> LoadInfo:
        from sources.intercom import intercom

        source_kwargs.setdefault("access_token", emu.token)
        source_kwargs.setdefault("base_url", emu.base_url)
        if getattr(emu, "api_version", None) is not None:
            source_kwargs.setdefault("api_version", emu.api_version)
        source = intercom(**source_kwargs)
        if resources is not None:
            source = source.with_resources(*resources)
        info = self.pipeline(pipeline_name).run(source)
        info.raise_on_failed_jobs()
        return info

    def rows(self, table: str, pipeline_name: str = "t") -> list[dict]:
        pipeline = self.pipeline(pipeline_name)
        if table not in pipeline.default_schema.tables:
            return []
        with pipeline.sql_client() as client:
            query = f"SELECT * FROM {client.make_qualified_table_name(table)}"
            with client.execute_query(query) as cur:
                names = [d[0] for d in cur.description]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def loaded(self, pipeline_name: str = "t") -> dict[str, int]:
        trace = self.pipeline(pipeline_name).last_trace
        counts: dict[str, int] = {}
        if trace is not None and trace.last_normalize_info is not None:
            counts.update(trace.last_normalize_info.row_counts)
        return _ZeroDefault(counts)


class _ZeroDefault(dict):
    def __missing__(self, key: str) -> int:
        return 0


_WORLD_KEYS = ("counts", "timezone", "start_time", "storage")


@pytest.fixture
def emulator() -> Iterator[Callable[..., Any]]:
    from emulator.testing import running_emulator
    from emulator.world import WorldConfig

    with ExitStack() as stack:

        def start(
            *, api_version: str = "2.16", seed: int = 3, scale: str = "tiny", **kwargs: Any
        ) -> Any:
            world_kwargs = {k: kwargs.pop(k) for k in _WORLD_KEYS if k in kwargs}
            cfg = WorldConfig(seed=seed, scale=scale, **world_kwargs)
            return stack.enter_context(running_emulator(cfg, api_version=api_version, **kwargs))

        yield start


@pytest.fixture
def warehouse(tmp_path: Path) -> _Warehouse:
    return _Warehouse(tmp_path / "warehouse")


@pytest.fixture
def sync(warehouse: _Warehouse) -> Callable[..., LoadInfo]:
    return warehouse.sync


@pytest.fixture
def rows(warehouse: _Warehouse) -> Callable[..., list[dict]]:
    return warehouse.rows


@pytest.fixture
def loaded(warehouse: _Warehouse) -> Callable[..., dict[str, int]]:
    return warehouse.loaded


@pytest.fixture
def pipeline(warehouse: _Warehouse) -> Callable[..., dlt.Pipeline]:
    return warehouse.pipeline
