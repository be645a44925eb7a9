"""Fixtures of the convergence suites, and a terminal summary of what they exercised
(rounds, syncs, fault rates) so that `make test` output shows it without `-s`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SUMMARY: list[str] = []


def record(line: str) -> None:
    """A line for the end-of-run summary (also printed at once, visible with `-s`)."""
    print(line)
    SUMMARY.append(line)


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("INTERCOM_ACCESS_TOKEN", "SOURCES__INTERCOM__ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no repo .dlt/ config
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.section("convergence suites")
        for line in SUMMARY:
            terminalreporter.write_line(line)
