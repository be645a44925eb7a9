"""Lines for the closing summary of a test run ("convergence suites": rounds, syncs, fault
rates), so that `make test` shows what the suites exercised without `-s`. Tests run in
pytest-xdist workers, so lines go through a file the controlling process names in
`SUMMARY_FILE_VAR` and prints at the end (tests/conftest.py)."""

from __future__ import annotations

import os

SUMMARY_FILE_VAR = "INTERCOM_SYNC_TEST_SUMMARY_FILE"


def record(line: str) -> None:
    """A line for the end-of-run summary (also printed at once, visible with `-s`)."""
    print(line)
    path = os.environ.get(SUMMARY_FILE_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as f:  # one short append per line: atomic
            f.write(line + "\n")
