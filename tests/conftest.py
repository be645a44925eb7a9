"""Shared pytest fixtures: a live emulator over real HTTP.

- `emulator`: a tiny world (seed 3), API version 2.16, no faults, no rate limit.
- `emulator_factory(**kwargs)`: start more emulators with any `running_emulator` arguments
  (`config=WorldConfig(...)` or `world=...`, `api_version`, `rate_limit`, `faults`, settings…);
  every one is stopped at teardown.
- every test (and every `intercom-sync` it starts) keeps dlt's data folder in a temporary
  directory (`DLT_DATA_DIR`), never the machine's own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from tests.helpers.duckdb_pipeline import close_held
from tests.helpers.gc_tuning import collect_garbage_less_often
from tests.helpers.summary import SUMMARY_FILE_VAR

collect_garbage_less_often()

TINY = WorldConfig(seed=3, scale="tiny")


def pytest_configure(config: pytest.Config) -> None:
    """In the controlling process (not an xdist worker): the file the workers' summary lines
    go to; workers inherit the variable when they start."""
    if not hasattr(config, "workerinput"):
        fd, path = tempfile.mkstemp(prefix="intercom-sync-test-summary-", suffix=".txt")
        os.close(fd)
        os.environ[SUMMARY_FILE_VAR] = path


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = os.environ.get(SUMMARY_FILE_VAR)
    if hasattr(config, "workerinput") or not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    os.unlink(path)
    if lines:
        terminalreporter.section("convergence suites")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def _private_dlt_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dlt's data folder (pipelines, run history) of every test and every `intercom-sync` it
    starts is a temporary one: a run a test leaves in the machine's folder (`~/.dlt`) would
    show up in the user's own `intercom-sync status`."""
    before = os.environ.get("DLT_DATA_DIR")
    os.environ["DLT_DATA_DIR"] = str(tmp_path_factory.mktemp("dlt_data"))
    yield
    if before is None:
        os.environ.pop("DLT_DATA_DIR", None)
    else:
        os.environ["DLT_DATA_DIR"] = before


@pytest.fixture(autouse=True)
def _close_held_duckdb_files() -> Iterator[None]:
    """The DuckDB files a test's in-process pipelines held open are closed at its end."""
    yield
    close_held()


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    with contextlib.ExitStack() as stack:

        def start(
            config: WorldConfig | None = None, world: Any = None, **kwargs: Any
        ) -> RunningEmulator:
            return stack.enter_context(running_emulator(world or config or TINY, **kwargs))

        yield start


@pytest.fixture
def emulator(emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    return emulator_factory()
