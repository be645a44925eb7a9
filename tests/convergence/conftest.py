"""Fixtures of the convergence suites. What they exercised (rounds, syncs, fault rates) goes
to the run's closing summary through `tests.helpers.summary.record`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("INTERCOM_ACCESS_TOKEN", "SOURCES__INTERCOM__ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no repo .dlt/ config
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
