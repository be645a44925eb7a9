"""One run at a time per pipeline: an advisory file lock that dies with its process.

`flock` is released by the kernel when the holding process exits, even on `kill -9`, so a
stale lock from a killed run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.errors import SyncError
from pipelines.exit_codes import ExitCode


class LockedError(SyncError):
    exit_code = ExitCode.LOCKED


@contextmanager
def pipeline_lock(lock_dir: Path, pipeline_name: str) -> Iterator[Path]:
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{pipeline_name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text().strip() or "unknown"
            raise LockedError(
                f"another intercom-sync run of pipeline '{pipeline_name}' is in progress "
                f"(pid {holder}); wait for it to finish or use another --pipeline-name"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield path
    finally:
        os.close(fd)
