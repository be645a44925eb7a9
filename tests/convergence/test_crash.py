"""Crash and resume: `intercom-sync run` killed with SIGKILL at random points — during
extract, normalize, and load (some jobs already in the warehouse) — several times in a row,
with the workspace changing in between. The next run is never refused (the lock died with
the process), finishes the interrupted load package first, then extracts what changed in the
same invocation; after it the warehouse equals the workspace."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.defaults import DEFAULT_DATASET, DEFAULT_PIPELINE
from pipelines.exit_codes import ExitCode
from sources.intercom.settings import OPTIONAL_RESOURCES
from tests.convergence.compare import compare_warehouse, duckdb_reader
from tests.helpers.cli import REPO
from tests.helpers.cli_forkclient import fork_server
from tests.helpers.summary import record

# Kill points, in order; a list of points between two successful runs = crashes in a row.
PLAN: list[list[str]] = [["normalize", "load"], ["extract", "random"]]
SEED = 21


def _cli_env(token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "INTERCOM_"))}
    env.update({"RUNTIME__DLTHUB_TELEMETRY": "false", "SOURCES__INTERCOM__ACCESS_TOKEN": token})
    env["PYTHONPATH"] = str(REPO)  # the code under test, not another copy the venv may import
    return env


def _reached(package_root: Path, point: str) -> bool:
    """Has the run reached `point`? Read from dlt's package folders (no hook in the product)."""

    def packages(stage: str) -> list[Path]:
        folder = package_root / stage
        return [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []

    if point == "extract":  # extracted files of this run exist, not yet normalized
        return any(any((p / "new_jobs").glob("*")) for p in packages("normalize/extracted"))
    if point == "normalize":  # a package is being normalized
        return bool(packages("load/new"))
    if point == "load":  # some jobs of the package are already in the warehouse
        return any(any((p / "completed_jobs").glob("*")) for p in packages("load/normalized"))
    raise ValueError(point)


class Cli:
    def __init__(self, emu, tmp: Path) -> None:
        self.tmp = tmp
        self.env = _cli_env(emu.token)
        self.args = [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "--base-url",
            emu.base_url,
            "--pipelines-dir",
            str(tmp / "pipelines"),
            "--duckdb-file",
            str(tmp / "warehouse.duckdb"),
            "--no-progress",
            "--include",  # the opt-in reads too: the comparison expects them (as the harness)
            ",".join(OPTIONAL_RESOURCES),
        ]
        self.package_root = tmp / "pipelines" / DEFAULT_PIPELINE

    def run(self) -> subprocess.CompletedProcess[str]:
        return fork_server().run(self.args, self.tmp, self.env, 600)

    def run_and_kill(self, point: str, rng: random.Random) -> str:
        """Start a run and SIGKILL it at `point` (or after a random delay); returns where it
        died ("finished" if the run completed first). The run is a process forked from the
        test worker's CLI fork server (tests/helpers/cli_forkserver.py): its own process,
        killed for real, without two seconds of imports before it starts."""
        with fork_server().started(self.args, self.tmp, self.env) as child:
            started = time.monotonic()
            delay = rng.uniform(1.0, 6.0)
            while child.wait(0.003) is None:
                elapsed = time.monotonic() - started
                if (point == "random" and elapsed >= delay) or (
                    point != "random" and _reached(self.package_root, point)
                ):
                    os.kill(child.pid, signal.SIGKILL)
                    child.wait(None)
                    return f"{point}@{elapsed:.1f}s"
            return "finished"

    def pending(self) -> bool:
        folder = self.package_root / "load" / "normalized"
        return folder.is_dir() and any(p.is_dir() for p in folder.iterdir())


def test_killed_runs_resume_and_converge(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with running_emulator(WorldConfig(seed=SEED, scale="tiny")) as emu:
        cli = Cli(emu, tmp_path)
        read = duckdb_reader(str(tmp_path / "warehouse.duckdb"), DEFAULT_DATASET)
        first = cli.run()
        assert first.returncode == 0, first.stderr
        kept: dict[str, set[str]] = {}
        kills: list[str] = []
        resumed_pending = 0
        for crashes in PLAN:
            for point in crashes:
                emu.advance(rng.choice([600, 3600, 4 * 3600]), intensity=2)
                kills.append(cli.run_and_kill(point, rng))
            had_pending = cli.pending()
            emu.advance(1800, intensity=2)  # changes after the crash: this run must get them
            result = cli.run()
            assert result.returncode != ExitCode.LOCKED, "the killed run's lock was released"
            assert result.returncode == 0, result.stderr
            if had_pending:
                resumed_pending += 1
                assert "interrupted run" in result.stdout + result.stderr, result.stdout
            with emu.control.lock:
                report = compare_warehouse(
                    read, emu.world, kept_parts=kept, optional=OPTIONAL_RESOURCES
                )
            assert report.problems == [], f"after kills {kills}: {report.problems[:20]}"
            for table, ids in report.part_ids.items():
                kept[table] = kept.get(table, set()) | ids
        record(
            f"crash: {len(kills)} SIGKILLs ({', '.join(kills)}), {len(PLAN)} recoveries, "
            f"{resumed_pending} finished a pending load package then extracted in the same run"
        )
        assert any(k.startswith("load@") for k in kills), "at least one kill hit the load step"
        assert resumed_pending >= 1


def test_a_second_run_is_refused_while_one_runs_and_a_killed_runs_lock_is_recovered(
    tmp_path: Path,
) -> None:
    # A slow emulator keeps the first run busy long enough to try a second one.
    with running_emulator(WorldConfig(seed=SEED, scale="tiny"), latency_ms=50) as emu:
        cli = Cli(emu, tmp_path)
        lock = tmp_path / "pipelines" / f"{DEFAULT_PIPELINE}.lock"
        first = subprocess.Popen(cli.args, cwd=tmp_path, env=cli.env)
        try:
            deadline = time.monotonic() + 120
            while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
                assert first.poll() is None, "the first run ended before taking the lock"
                assert time.monotonic() < deadline
                time.sleep(0.01)
            second = cli.run()
            assert second.returncode == ExitCode.LOCKED, second.stderr
            assert "in progress" in second.stderr and str(first.pid) in second.stderr
            os.kill(first.pid, signal.SIGKILL)  # a stale lock file stays behind …
            first.wait()
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert lock.exists()
        emu.control.update({"latency_ms": 0})
        third = cli.run()  # … and does not block: flock died with its process
        assert third.returncode == 0, third.stderr
        with emu.control.lock:
            report = compare_warehouse(
                duckdb_reader(str(tmp_path / "warehouse.duckdb"), DEFAULT_DATASET),
                emu.world,
                optional=OPTIONAL_RESOURCES,
            )
        assert report.problems == []
