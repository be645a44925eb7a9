"""`intercom-sync backfill`: chunks load their own window, a killed backfill resumes without
redoing finished chunks, and the hand-over leaves a normal incremental `run` behind it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.run.backfill import parse_chunk, plan_chunks, run_backfill
from pipelines.run.options import SyncOptions
from pipelines.run.sync import run_sync
from sources.intercom.settings import CLOCK_SKEW_SECONDS
from tests.helpers.cli import REPO, clean_env, cli
from tests.helpers.truth import mismatches, settle, truth

DAY = 86_400
DATASET = "intercom_raw"


def _date(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d")


def _table(db: Path, table: str, columns: str = "id, updated_at") -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(f"select {columns} from {DATASET}.{table}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _options(emu, tmp_path: Path, **more) -> SyncOptions:
    return SyncOptions(
        duckdb_file=str(tmp_path / "warehouse.duckdb"),
        pipelines_dir=str(tmp_path / "pipelines"),
        base_url=emu.base_url,
        access_token=emu.token,
        progress=False,
        **more,
    )


def _in_window(rows: list[dict], start: dt.datetime, end: dt.datetime) -> int:
    lo, hi = start.timestamp(), end.timestamp()
    return sum(1 for row in rows if lo <= row["updated_at"] < hi)


def test_plan_chunks_cover_the_range_exactly() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2025, 3, 5, tzinfo=dt.timezone.utc)
    chunks = plan_chunks(start, end, parse_chunk("30d"), "p")
    assert chunks[0].start == start and chunks[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(chunks))
    assert len({c.pipeline_name for c in chunks}) == len(chunks) == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from", "2025-01-01", "--to", "2999-01-01"], "--to 2999-01-01 00:00 is in the future"),
        (
            ["--from", "2025-01-01", "--to", "2025-06-01", "--resources", "tags,admins"],
            "nothing to backfill in --resources tags,admins",
        ),
    ],
)
def test_a_backfill_with_nothing_to_load_is_refused_before_any_data_work(
    emulator, tmp_path: Path, args: list[str], needle: str
) -> None:
    common = ["--base-url", emulator.base_url, "--pipelines-dir", str(tmp_path / "p")]
    result = cli(["backfill", *common, "--no-progress", *args], tmp_path, emulator.token)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr.strip().splitlines()[-1]
    assert emulator.control.stats.snapshot()["total"] == 0
    assert not (tmp_path / "p" / "intercom.backfill.json").exists()


def test_chunks_load_their_windows_and_hand_over_to_incremental_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.chdir(tmp_path)
    with running_emulator(WorldConfig(seed=11, scale="tiny"), port=0) as emu:
        now = emu.world.now
        start = dt.datetime.fromisoformat(_date(now - 70 * DAY)).replace(tzinfo=dt.timezone.utc)
        end = dt.datetime.fromisoformat(_date(now - 3 * DAY)).replace(tzinfo=dt.timezone.utc)
        options = _options(emu, tmp_path)
        result = run_backfill(options, start, end, parse_chunk("20d"))

        chunks = plan_chunks(start, end, parse_chunk("20d"), options.pipeline_name)
        assert len(chunks) == 4
        contacts, conversations = truth(emu, "contacts"), truth(emu, "conversations")
        for chunk in chunks:  # each chunk loaded exactly the versions of its window
            rows = result.results[chunk.pipeline_name].rows_by_table
            assert rows.get("contacts", 0) == _in_window(contacts, chunk.start, chunk.end)
            assert rows.get("conversations", 0) == _in_window(conversations, chunk.start, chunk.end)
        logs = truth(emu, "admin_activity_logs")
        for chunk in chunks:  # the activity log by `created_at`, in the same windows
            rows = result.results[chunk.pipeline_name].rows_by_table
            assert rows.get("admin_activity_logs", 0) == sum(
                1
                for e in logs
                if chunk.start.timestamp() <= e["created_at"] < chunk.end.timestamp()
            )
        handed = result.handover.rows_by_table
        assert handed.get("contacts", 0) == sum(
            1 for c in contacts if c["updated_at"] >= end.timestamp()
        )

        db = tmp_path / "warehouse.duckdb"
        for table in ("contacts", "companies", "conversations", "tickets"):
            assert mismatches(_table(db, table), truth(emu, table)) == [], table
        since_start = [e for e in logs if e["created_at"] >= start.timestamp()]
        loaded_logs = _table(db, "admin_activity_logs", "id, created_at")
        assert mismatches(loaded_logs, since_start) == []

        # Hand-over: the next normal run loads only what changed since, plus what it must
        # load again: versions too recent to be final on the API's clock (CLOCK_SKEW_SECONDS)
        # and the rows of contacts merged away meanwhile (flagged `_merged_into_id`).
        before = {c["id"]: c["updated_at"] for c in truth(emu, "contacts")}
        merged_before = {row["id"] for row in truth(emu, "contacts_merged")}
        handover_now = emu.world.now
        emu.advance(DAY)
        changed = {
            c["id"] for c in truth(emu, "contacts") if before.get(c["id"]) != c["updated_at"]
        }
        recent = {i for i, at in before.items() if at > handover_now - CLOCK_SKEW_SECONDS}
        merged = {row["id"] for row in truth(emu, "contacts_merged")} - merged_before
        again = run_sync(options)
        assert len(changed) <= again.rows_by_table.get("contacts", 0)
        assert again.rows_by_table.get("contacts", 0) <= len(changed | recent | merged)
        # Merged contacts and deleted conversations keep their rows (tombstones say so).
        for table, tombstones in (
            ("contacts", "contacts_merged"),
            ("conversations", "conversations_deleted"),
        ):
            gone = {row["id"] for row in truth(emu, tombstones)}
            loaded = [row for row in _table(db, table) if row["id"] not in gone]
            assert mismatches(loaded, truth(emu, table)) == [], table
        assert mismatches(_table(db, "tickets"), truth(emu, "tickets")) == []
        settle(emu)  # the clock past the allowance: nothing is left to load again
        quiet = run_sync(options)
        assert quiet.rows_by_table.get("contacts", 0) == 0
        assert quiet.rows_by_table.get("conversations", 0) == 0


def test_a_killed_backfill_resumes_without_redoing_finished_chunks(tmp_path: Path) -> None:
    # Latency makes each chunk take a few seconds, so the kill lands inside a chunk.
    with running_emulator(WorldConfig(seed=12, scale="tiny"), port=0, latency_ms=40) as emu:
        now = emu.world.now
        args = [
            "backfill",
            *("--base-url", emu.base_url, "--no-progress"),
            *("--pipelines-dir", str(tmp_path / "pipelines")),
            *("--duckdb-file", str(tmp_path / "warehouse.duckdb")),
            *("--from", _date(now - 70 * DAY), "--to", _date(now - 2 * DAY), "--chunk", "20d"),
        ]
        progress = tmp_path / "pipelines" / "intercom.backfill.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *args],
            cwd=tmp_path,
            env=clean_env(emu.token, {"PYTHONPATH": str(REPO)}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            if progress.exists() and len(json.loads(progress.read_text())["done"]) >= 1:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the backfill ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        done_before = json.loads(progress.read_text())["done"]
        assert 1 <= len(done_before) < 5

        emu.control.update({"latency_ms": 0})  # the kill has landed: no need to be slow now
        resumed = cli(args, tmp_path, emu.token)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(done_before)} already done" in resumed.stdout
        db = tmp_path / "warehouse.duckdb"
        for table in ("contacts", "companies", "conversations", "tickets"):
            assert mismatches(_table(db, table), truth(emu, table)) == [], table
        parts = _table(db, "conversation_parts", "id, conversation_id")
        true_parts = truth(emu, "conversation_parts")
        visible = {p["id"] for p in true_parts if p["visible"]}  # the API's newest 500
        assert visible <= {p["id"] for p in parts} <= {p["id"] for p in true_parts}
