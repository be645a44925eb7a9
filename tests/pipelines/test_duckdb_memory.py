"""DuckDB's memory settings for a sync, and the load retried with more memory when it runs out."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dlt
import duckdb
import pytest

from emulator.world.truth import truth_rows
from pipelines.defaults import DEFAULT_DATASET
from pipelines.destinations import duckdb_memory
from pipelines.errors import ConfigError
from pipelines.run.construct import make_destination
from tests.helpers.cli import cli, run_args

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


@pytest.mark.parametrize(
    ("error", "out_of_memory"),
    [
        # what DuckDB raised committing a load job of the `medium` world (history mode on)
        (
            duckdb.TransactionException(
                "TransactionContext Error: Failed to commit: failed to pin block of size "
                "256.0 KiB (121.9 MiB/122.0 MiB used)"
            ),
            True,
        ),
        (
            duckdb.OutOfMemoryException(
                "Out of Memory Error: failed to allocate data of size 2.0 MiB (3.3 MiB/3.8 MiB used)"
            ),
            True,
        ),
        (duckdb.TransactionException("TransactionContext Error: Conflict on update!"), False),
    ],
)
def test_running_out_of_memory_is_recognised_when_committing_too(
    error: Exception, out_of_memory: bool
) -> None:
    """Wrapped as dlt wraps a failed load job, DuckDB's out-of-memory failures are recognised
    (and so loaded again with more memory) whether met in a statement or at its commit."""
    try:
        try:
            raise error
        except duckdb.Error as exc:
            raise RuntimeError("load job failed") from exc
    except RuntimeError as wrapped:
        assert duckdb_memory.is_out_of_memory(wrapped) is out_of_memory


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
    # dlt hands the job back at its first failure (no retries at the same limit), and the
    # sync's warnings are all the user reads of it: no error, no traceback
    raised = starved.stderr.count("DuckDB ran out of memory loading")
    jobs = list((tight / "pipelines").rglob("loaded/*/completed_jobs/*.*.*.*"))
    # a job file's name counts its failures (`table.file_id.retry_count.format`): a load at
    # one limit fails a job once (with dlt's default, five times before handing it back)
    retries = [int(job.name.split(".")[-2]) for job in jobs]
    assert 1 <= max(retries) <= raised < 5, [job.name for job in jobs]
    assert "Traceback" not in starved.stderr and " ERROR " not in starved.stderr
    assert "was not fully loaded" not in starved.stderr  # dlt's warning, held and demoted
    plain = cli(run_args(emulator, roomy, "--no-progress"), roomy, emulator.token)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert "ran out of memory" not in plain.stderr
    counts = _table_counts(tight / "warehouse.duckdb")
    assert counts == _table_counts(roomy / "warehouse.duckdb")
    assert counts["conversations"] == len(list(truth_rows(emulator.world, "conversations")))
    # the summary counts the rows the first, failed, load had normalized
    assert f"rows loaded: {sum(counts.values())}" in starved.stdout


@pytest.mark.parametrize("handled", [False, True])
def test_dlt_not_fully_loaded_warning_waits_for_the_runner(
    caplog: pytest.LogCaptureFixture, handled: bool
) -> None:
    """dlt warns that a package "was not fully loaded" before it raises the load failure: the
    warning is held, then logged as it was, or at DEBUG if the sync loads the package again."""
    dlt_logger = logging.getLogger("dlt")
    installed = list(dlt_logger.filters)  # an in-process sync may have installed one already
    for existing in installed:
        dlt_logger.removeFilter(existing)
    held = duckdb_memory.HandledOutOfMemoryLogs()
    dlt_logger.addFilter(held)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="dlt")
    try:
        dlt_logger.warning("Package 1.2 was not fully loaded. 2 new jobs are left in the package.")
        dlt_logger.warning("an unrelated warning")
        assert [r.getMessage() for r in caplog.records] == ["an unrelated warning"]
        held.release(handled=handled)
        held.release(handled=handled)  # once only
    finally:
        dlt_logger.removeFilter(held)
        for existing in installed:
            dlt_logger.addFilter(existing)
    released = [r for r in caplog.records if "not fully loaded" in r.getMessage()]
    assert [r.levelname for r in released] == ["DEBUG" if handled else "WARNING"]
