"""A warehouse with only some tables loaded (a young workspace, or `--resources`) still builds:
missing tables become empty staging views, missing columns typed NULLs, and dbt tests pass."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.reporting.transform import build_duckdb_standalone
from pipelines.run.options import SyncOptions
from pipelines.run.sync import run_sync
from tests.helpers.analytics import isolated_env


def test_models_build_when_only_lookups_were_synced(tmp_path: Path) -> None:
    db = tmp_path / "young.duckdb"
    with isolated_env(tmp_path), running_emulator(WorldConfig(seed=4, scale="tiny")) as emu:
        run_sync(
            SyncOptions(
                duckdb_file=str(db),
                pipelines_dir=str(tmp_path / "pipelines"),
                base_url=emu.base_url,
                access_token=emu.token,
                progress=False,
                resources=["admins", "teams"],
            )
        )
        admins = len(emu.world.admins)
        result = build_duckdb_standalone(str(db), "intercom_raw", str(tmp_path / "dbt"))
    assert result.tests >= 50 and os.path.exists(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert (
            con.sql("SELECT count(*) FROM intercom_analytics.admin_metrics").fetchone()[0] == admins
        )
        for empty in ("conversation_metrics", "daily_conversation_volume", "ticket_metrics"):
            assert con.sql(f"SELECT count(*) FROM intercom_analytics.{empty}").fetchone()[0] == 0
