"""`bench.cpu_breakdown` against the emulator: a real sync, with CPU seconds per function."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cpu_breakdown import MEASURED
from emulator.testing import RunningEmulator
from tests.helpers.bench import run_bench


def test_breakdown_reports_every_measured_function(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    out = run_bench(
        "cpu_breakdown",
        *("--base-url", emulator.base_url, "--token", emulator.token),
        *("--resources", "contacts", "--pipelines-dir", str(tmp_path)),
        *("--duckdb-file", str(tmp_path / "w.duckdb")),
    )
    report = json.loads(out.stdout)
    assert report["rows"]["contacts"] == len(emulator.world.contacts)
    breakdown = report["cpu_breakdown_s"]
    assert sorted(breakdown) == sorted(MEASURED)
    # What a contacts sync runs is measured; what it does not run stays at zero.
    for label in ("HTTP requests (httpx)", "JSON parsing (orjson)", "shaping into Arrow"):
        assert breakdown[label] > 0, label
    assert breakdown["load jobs (DuckDB)"] > 0
    assert breakdown["DuckDB checkpoint (closing the file)"] > 0
    assert breakdown["conversations/tickets: records into rows"] == 0
    # One thread's share of the sync cannot exceed the whole process's CPU.
    assert max(breakdown.values()) <= report["cpu_sync_s"]
