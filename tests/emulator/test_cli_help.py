"""`intercom-emulator serve --help` and docs/emulator-faults.md describe every fault setting."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from emulator.cli import FAULT_SETTING_HELP
from emulator.http.faults import FaultSettings

REPO = Path(__file__).resolve().parents[2]
SETTINGS = [f.name for f in dataclasses.fields(FaultSettings)]


def test_every_fault_setting_is_in_the_help() -> None:
    assert sorted(FAULT_SETTING_HELP) == sorted(SETTINGS)
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for name in SETTINGS:
        assert f"  {name} " in result.stdout, name
    assert "GET /conversations/{id}" in result.stdout


def test_every_fault_setting_is_in_the_docs() -> None:
    doc = (REPO / "docs" / "emulator-faults.md").read_text()
    for name in SETTINGS:
        assert f"| `{name}` |" in doc, name
