"""Run `intercom-sync` as a real subprocess (what a user or scheduler does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.defaults import DEFAULT_DATASET
from tests.helpers.cli_forkclient import CLI_MODE_VAR, fork_server

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLI_TIMEOUT = 300


def clean_env(token: str | None = None, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment minus any Intercom/destination config of the caller's shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "INTERCOM_", "DESTINATION__"))
    }
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    env["PYTHONPATH"] = str(REPO)
    if token is not None:
        env["SOURCES__INTERCOM__ACCESS_TOKEN"] = token
    env.update(extra_env or {})
    return env


def run_args(emu, tmp_path: Path, *more: str) -> list[str]:
    """`intercom-sync run` against `emu`, with its state and DuckDB file under `tmp_path`."""
    return [
        "run",
        "--base-url",
        emu.base_url,
        "--pipelines-dir",
        str(tmp_path / "pipelines"),
        "--duckdb-file",
        str(tmp_path / "warehouse.duckdb"),
        *more,
    ]


def quiet_run_args(emu, tmp_path: Path, *more: str) -> list[str]:
    """`run_args` without progress lines."""
    return run_args(emu, tmp_path, "--no-progress", *more)


def status_args(tmp_path: Path, *more: str) -> list[str]:
    """`intercom-sync status` of the pipeline `run_args` syncs under `tmp_path`."""
    return [
        "status",
        "--pipelines-dir",
        str(tmp_path / "pipelines"),
        "--duckdb-file",
        str(tmp_path / "warehouse.duckdb"),
        *more,
    ]


def cli(
    args: list[str], cwd: Path, token: str | None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`intercom-sync *args` in `cwd`, as its own process; its exit code and output.

    Forked from a server that has imported the CLI once (`tests/helpers/cli_forkserver.py`),
    unless the environment changes what would be imported (another PYTHONPATH) or
    INTERCOM_SYNC_TEST_CLI=subprocess asks for a fresh interpreter every time."""
    env = clean_env(token, extra_env)
    command = [sys.executable, "-m", "pipelines.cli", *args]
    if env["PYTHONPATH"] != str(REPO) or os.environ.get(CLI_MODE_VAR) == "subprocess":
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT
        )
    return fork_server().run(command, cwd, env, CLI_TIMEOUT)


def raw_table_rows(db: Path, table: str) -> list[tuple] | None:
    """Every row of `table` in the CLI's dataset of DuckDB file `db` (dlt's load id included),
    sorted; None when the table does not exist."""

    with duckdb.connect(str(db), read_only=True) as con:
        exists = con.sql(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            params=[DEFAULT_DATASET, table],
        ).fetchone()[0]
        if not exists:
            return None
        return con.sql(f"SELECT * FROM {DEFAULT_DATASET}.{table} ORDER BY ALL").fetchall()
