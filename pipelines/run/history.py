"""A small run history per pipeline, for `intercom-sync status`.

dlt's trace only keeps the *last* run, so a success would hide the failure before it. Each
`intercom-sync run` appends one JSON line to `<pipelines_dir>/<pipeline>.runs.jsonl` (next to
its lock file): when it ran, which resources, ok or the failure message and exit code, and the
API's clock at the end (so status can say how far behind *the API's* now a cursor is).
The file is trimmed to the last `KEEP` runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KEEP = 200


@dataclass
class RunRecord:
    started_at: float  # Unix seconds, local clock
    finished_at: float
    ok: bool
    resources: list[str] | None = None  # None: all resources
    exit_code: int = 0
    message: str | None = None  # the one-line failure message (never contains the token)
    server_time: int | None = None  # the API's `Date` at the end of the run
    rows: dict[str, int] = field(default_factory=dict)
    duckdb_file: str | None = None  # absolute path, so `status` finds the file without flags

    # A run whose other resources loaded while these failed (exit 8): ok for the others.
    failed: list[str] | None = None

    def covers(self, resource: str) -> bool:
        return self.resources is None or resource in self.resources

    def ok_for(self, resource: str) -> bool:
        """Whether this run loaded `resource` (all of a good run; all but `failed` of a run
        whose other resources loaded)."""
        if self.failed is not None:
            return resource not in self.failed
        return self.ok


def history_path(pipelines_dir: str | Path, pipeline_name: str) -> Path:
    return Path(pipelines_dir) / f"{pipeline_name}.runs.jsonl"


def record_run(pipelines_dir: str | Path, pipeline_name: str, record: RunRecord) -> None:
    path = history_path(pipelines_dir, pipeline_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    lines.append(json.dumps(asdict(record), sort_keys=True))
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines[-KEEP:]) + "\n")
    os.replace(tmp, path)  # atomic: a crash leaves the old history, never half a file


def read_history(pipelines_dir: str | Path, pipeline_name: str) -> list[RunRecord]:
    path = history_path(pipelines_dir, pipeline_name)
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            data: dict[str, Any] = json.loads(line)
            records.append(RunRecord(**data))
        except (ValueError, TypeError):
            continue  # a line from another version: skip rather than fail status
    return records
