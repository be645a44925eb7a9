"""DuckDB's memory settings for a sync, and the load retried with more memory when it runs out."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dlt
import duckdb
import pytest

from pipelines import duckdb_memory
from pipelines.errors import ConfigError
from pipelines.runner import (
    DEFAULT_DATASET,
    SyncOptions,
    make_destination,
    make_pipeline,
    run_with_memory_to_load,
)
from tests.pipelines.helpers import cli, run_args

USER_CONFIG_ENV = "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"


def _settings(tmp_path: Path) -> dict[str, object]:
    """The settings of a DuckDB connection opened the way a sync's load opens it."""
    pipeline = dlt.pipeline(
        "memory_settings",
        destination=make_destination("duckdb", str(tmp_path / "settings.duckdb")),
        dataset_name="d",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    names = ("memory_limit", "threads", "preserve_insertion_order", "enable_external_file_cache")
    with pipeline.sql_client() as client:
        row = client.execute_sql(
            "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
        )[0]
    return dict(zip(names, row, strict=True))


def _table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            name
            for (name,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                params=[DEFAULT_DATASET],
            ).fetchall()
            if not name.startswith("_dlt")
        ]
        return {
            name: con.sql(f'SELECT count(*) FROM {DEFAULT_DATASET}."{name}"').fetchone()[0]
            for name in tables
        }


def test_a_sync_opens_duckdb_with_the_small_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(USER_CONFIG_ENV, raising=False)
    settings = _settings(tmp_path)
    assert settings["memory_limit"] == "122.0 MiB"  # 128 MB, as DuckDB reports it
    assert settings["threads"] == 1
    assert settings["preserve_insertion_order"] is False
    assert settings["enable_external_file_cache"] is False
    destination = make_destination("duckdb", str(tmp_path / "caps.duckdb"))
    assert destination.capabilities().loader_parallelism_strategy == "sequential"


def test_the_users_settings_win_key_by_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(USER_CONFIG_ENV, json.dumps({"memory_limit": "300MB", "threads": 2}))
    settings = _settings(tmp_path)
    assert settings["memory_limit"] == "286.1 MiB"
    assert settings["threads"] == 2
    assert settings["enable_external_file_cache"] is False  # a default the user left alone


def test_a_malformed_user_setting_is_a_config_error(monkeypatch) -> None:
    monkeypatch.setenv(USER_CONFIG_ENV, "[1, 2]")
    with pytest.raises(ConfigError, match="global_config must be a table"):
        duckdb_memory.global_config()


@pytest.mark.parametrize(
    ("limit", "raised"),
    [
        ("128MB", "256MB"),
        ("1.5GB", "3000MB"),
        ("64 MiB", "134MB"),  # 2 x 67,108,864 bytes
        ("6GB", "10000MB"),  # capped at the ceiling
        ("10GB", None),  # at the ceiling already
        ("lots", None),  # not a size: left for DuckDB to reject
    ],
)
def test_the_memory_limit_doubles_up_to_a_ceiling(limit: str, raised: str | None) -> None:
    assert duckdb_memory.raised_memory_limit(limit, ceiling=10**10) == raised


def test_the_ceiling_is_half_the_machines_memory() -> None:
    half = duckdb_memory.machine_memory() // 2
    assert duckdb_memory.raised_memory_limit(f"{half}B") is None
    assert duckdb_memory.size_in_bytes(duckdb_memory.raised_memory_limit("1MB")) == 2 * 10**6


def test_a_load_out_of_memory_is_loaded_again_with_more(emulator, tmp_path: Path) -> None:
    """A memory limit far too small for the conversations merge: the load fails, is loaded
    again from the same package with the limit doubled until it fits, and every row lands."""
    tight, roomy = tmp_path / "tight", tmp_path / "roomy"
    tight.mkdir()
    roomy.mkdir()
    starved = cli(
        run_args(emulator, tight, "--no-progress"),
        tight,
        emulator.token,
        {USER_CONFIG_ENV: json.dumps({"memory_limit": "4MB"})},
    )
    assert starved.returncode == 0, starved.stderr[-3000:]
    assert "DuckDB ran out of memory loading (memory_limit 4MB)" in starved.stderr
    assert "again with 8MB" in starved.stderr
    plain = cli(run_args(emulator, roomy, "--no-progress"), roomy, emulator.token)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert "ran out of memory" not in plain.stderr
    counts = _table_counts(tight / "warehouse.duckdb")
    assert counts == _table_counts(roomy / "warehouse.duckdb")
    assert counts["conversations"] == len(list(emulator.world.truth("conversations")))
    # the summary counts the rows the first, failed, load had normalized
    assert f"rows loaded: {sum(counts.values())}" in starved.stdout


@pytest.mark.parametrize(
    ("columns", "limit", "sized"),
    [
        (58, "128MB", "128MB"),  # contacts: fits the default
        (106, "128MB", "256MB"),  # conversations
        (200, "128MB", "512MB"),  # a workspace with ~150 custom attributes
        (106, "1GB", "1GB"),  # never lowered
        (106, "50%", "50%"),  # not a size: left alone
    ],
)
def test_the_limit_is_sized_for_the_widest_table(columns: int, limit: str, sized: str) -> None:
    assert duckdb_memory.memory_limit_for(columns, limit, ceiling=10**10) == sized


def test_sizing_stops_at_the_ceiling() -> None:
    assert duckdb_memory.memory_limit_for(10_000, "128MB", ceiling=300 * 10**6) == "300MB"


@dlt.resource(primary_key="id", write_disposition={"disposition": "merge", "strategy": "upsert"})
def wide(rows: int, columns: int):
    yield [{"id": i, **{f"c{c}": f"{i}-{c}" for c in range(columns)}} for i in range(rows)]


def test_a_wide_load_starts_with_the_memory_it_needs(
    tmp_path: Path, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A default far too small for a 150-column merge (as 128 MB is for a 106-column one):
    the load is sized before it starts, so it never runs out of memory, and nothing is
    retried. Without the sizing this load runs out of memory at 4 MB."""
    monkeypatch.delenv(USER_CONFIG_ENV, raising=False)
    monkeypatch.setitem(duckdb_memory.DEFAULTS, "memory_limit", "4MB")
    options = SyncOptions(
        duckdb_file=str(tmp_path / "wide.duckdb"),
        pipelines_dir=str(tmp_path / "pipelines"),
        pipeline_name="wide_load",
        progress=False,
    )
    pipeline = make_pipeline(options)
    caplog.set_level(logging.INFO)
    info, rows = run_with_memory_to_load(
        pipeline, options, lambda: pipeline.run(wide(3000, 150), loader_file_format="parquet")
    )
    messages = [r.getMessage() for r in caplog.records]
    assert not any("ran out of memory" in m or "Out of Memory" in m for m in messages)
    assert "DuckDB memory_limit 512MB for this load: its widest table, wide, has 153 columns" in (
        messages
    )
    assert rows["wide"] == 3000
    assert not info.has_failed_jobs
    with duckdb.connect(options.duckdb_file, read_only=True) as con:
        assert con.sql(f"SELECT count(*) FROM {DEFAULT_DATASET}.wide").fetchone()[0] == 3000
