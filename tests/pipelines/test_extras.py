"""The sync needs none of the emulator's server packages (starlette, uvicorn, httptools: the
`emulator` extra); the demo, which runs the emulator, says which extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.exit_codes import ExitCode
from tests.helpers.cli import clean_env, run_args

# (PyYAML is in the extra too, but dlt itself depends on it: it is always there.)
EMULATOR_EXTRA = ("starlette", "uvicorn", "httptools")
# A child interpreter in which the extra is not installed: importing any of it fails.
WITHOUT_EXTRA = (
    "import sys\n"
    f"for name in {EMULATOR_EXTRA!r}:\n"
    "    sys.modules[name] = None\n"
    "from pipelines.cli import main\n"
    "sys.exit(main())\n"
)


def cli_without_extra(args: list[str], cwd: Path, token: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args],
        cwd=cwd,
        env=clean_env(token),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_sync_runs_without_the_emulator_extra(emulator, tmp_path: Path) -> None:
    result = cli_without_extra(
        run_args(emulator, tmp_path, "--no-progress", "--resources", "contacts,admins"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (contacts,) = con.sql("SELECT count(*) FROM intercom_raw.contacts").fetchone()
    assert contacts == len(emulator.world.contacts)


def test_the_demo_without_the_emulator_extra_names_it(tmp_path: Path) -> None:
    result = cli_without_extra(
        ["demo", "--duckdb-file", str(tmp_path / "demo.duckdb")], tmp_path, None
    )
    assert result.returncode == ExitCode.CONFIG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'intercom-sync[emulator]'" in lines[0], result.stderr
