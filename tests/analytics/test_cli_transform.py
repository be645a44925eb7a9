"""`intercom-sync run --transform` as a user runs it: a real subprocess, dbt through dlt's runner."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.pipelines.helpers import cli


def test_run_with_transform_builds_and_tests_the_models(emulator, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    args = [
        "run",
        "--base-url",
        emulator.base_url,
        "--pipelines-dir",
        str(tmp_path / "pipelines"),
        "--duckdb-file",
        str(db),
        "--no-progress",
        "--transform",
    ]
    result = cli(args, tmp_path, emulator.token, {"DLT_DATA_DIR": str(tmp_path / "dlt")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "models built" in result.stdout and "tests passed" in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        built = con.sql("SELECT count(*) FROM intercom_analytics.conversation_metrics").fetchone()
        volume = con.sql(
            "SELECT sum(conversations_created) FROM intercom_analytics.daily_conversation_volume"
        ).fetchone()
    assert built[0] == len(emulator.world.conversations) == volume[0]
