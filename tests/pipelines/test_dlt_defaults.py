"""The sync's dlt settings hold wherever it runs from, and the user's configuration wins."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from pipelines.destinations import dlt_defaults
from tests.helpers.cli import cli, run_args

GZIP_MAGIC = b"\x1f\x8b"


def _sync(emulator, tmp_path: Path, env: dict[str, str] | None = None) -> None:
    """`intercom-sync run` from `tmp_path` (the repo's .dlt/config.toml is not read there),
    with `env` as the user's configuration; fails the test if the run fails."""
    result = cli(run_args(emulator, tmp_path, "--no-progress"), tmp_path, emulator.token, env)
    assert result.returncode == 0, result.stderr[-3000:]


def _intermediate_files(tmp_path: Path) -> list[Path]:
    """The pipeline state's load files: dlt writes them through its data writer (parquet
    files and merge SQL are never gzipped by it)."""
    loaded = tmp_path / "pipelines" / "intercom" / "load" / "loaded"
    files = list(loaded.glob("*/completed_jobs/_dlt_pipeline_state.*"))
    assert files, f"no intermediate files under {loaded}"
    return files


def test_intermediate_files_are_uncompressed_outside_the_repo(emulator, tmp_path: Path) -> None:
    _sync(emulator, tmp_path)  # the built-in defaults, not the repo's config
    for path in _intermediate_files(tmp_path):
        assert path.read_bytes()[:2] != GZIP_MAGIC, path


def test_the_users_data_writer_setting_wins(emulator, tmp_path: Path) -> None:
    _sync(emulator, tmp_path, {"DATA_WRITER__DISABLE_COMPRESSION": "false"})
    magic = {p.name: p.read_bytes()[:2] for p in _intermediate_files(tmp_path)}
    assert all(m == GZIP_MAGIC for m in magic.values()), magic


def _row_counts(database: Path) -> dict[str, dict[str, int]]:
    """Rows per table, per schema of the DuckDB file (dlt's own tables left out)."""
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE table_name NOT LIKE '_dlt%'"
        ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for schema, table in tables:
            (count,) = conn.sql(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
            counts.setdefault(schema, {})[table] = count
    return counts


def _staging(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {schema: tables for schema, tables in counts.items() if schema.endswith("_staging")}


def test_no_staging_dataset_is_left_beside_the_data(emulator, tmp_path: Path) -> None:
    """Merged tables go through dlt's staging dataset (`intercom_raw_staging`); once merged it
    is dropped, so analysts see only the data. The next sync merges through a new one."""
    _sync(emulator, tmp_path)
    counts = _row_counts(tmp_path / "warehouse.duckdb")
    assert not _staging(counts), counts
    assert counts["intercom_raw"]["contacts"] > 0, counts
    emulator.advance(3600)  # an hour of activity for the second sync to merge
    _sync(emulator, tmp_path)
    again = _row_counts(tmp_path / "warehouse.duckdb")
    assert not _staging(again), again
    assert again["intercom_raw"]["conversations"] >= counts["intercom_raw"]["conversations"]


def test_the_users_staging_setting_wins(emulator, tmp_path: Path) -> None:
    _sync(emulator, tmp_path, {"LOAD__TRUNCATE_STAGING_DATASET": "false"})
    staging = _staging(_row_counts(tmp_path / "warehouse.duckdb"))
    assert any(count > 0 for tables in staging.values() for count in tables.values()), staging


def test_duckdb_jobs_are_handed_back_at_the_first_failure_remote_ones_retried(
    monkeypatch,
) -> None:
    """Into DuckDB a transient job failure is running out of memory, which the sync retries
    with more (test_duckdb_memory); elsewhere dlt's own five tries stay (network blips)."""
    monkeypatch.delenv("LOAD__RAISE_ON_MAX_RETRIES", raising=False)
    try:
        dlt_defaults.install("duckdb")
        assert dlt.config.get("load.raise_on_max_retries") == 1
        assert dlt.config.get("data_writer.buffer_max_items") == 1000
        assert dlt.config.get("load.truncate_staging_dataset") is True
        dlt_defaults.install("postgres")
        assert dlt.config.get("load.raise_on_max_retries") is None  # dlt's default: 5
        assert dlt.config.get("data_writer.buffer_max_items") == 1000
        assert dlt.config.get("load.truncate_staging_dataset") is True
        dlt_defaults.install("duckdb")
        monkeypatch.setenv("LOAD__RAISE_ON_MAX_RETRIES", "3")
        assert dlt.config.get("load.raise_on_max_retries", int) == 3  # the user's setting wins
    finally:
        dlt_defaults.install()
