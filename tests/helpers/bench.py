"""Run a `bench` module as a real subprocess, as `make bench` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_bench(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench.<module> ARGS` from the repository; fails the test if it fails."""
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out
