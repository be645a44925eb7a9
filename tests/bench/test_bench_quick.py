"""`bench.run --quick` end to end on one scenario: the JSON report carries every field."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import STEP_FIELDS
from tests.helpers.bench import run_bench


def test_quick_incremental_scenario_writes_a_complete_report(tmp_path: Path) -> None:
    run_bench("run", "--quick", "--scenarios", "incremental", "--results-dir", str(tmp_path))
    report = json.loads((tmp_path / "incremental-quick.json").read_text())
    assert report["machine"]["nproc"] >= 1
    assert [step["step"] for step in report["steps"]] == ["all", "no-change"]
    for step in report["steps"]:
        missing = [name for name in STEP_FIELDS if name not in step]
        assert not missing, f"{step['step']}: missing {missing}"
    full, again = report["steps"]
    # The full sync loads every live contact and conversation the world holds.
    assert full["rows"]["contacts"] == report["world"]["contacts"]
    assert full["rows"]["conversations"] == report["world"]["conversations"]
    assert full["requests"] >= full["min_requests"]
    assert again["requests"] < full["requests"]
    assert "| no-change |" in (tmp_path / "incremental-quick.md").read_text()
