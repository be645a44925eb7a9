"""A dlt pipeline into a DuckDB file, loading the way `intercom-sync` loads DuckDB
(`pipelines.run.construct.duckdb_loading`): one load job at a time, the file held open for the
whole load step, and the sync's DuckDB settings (`duckdb_memory.DEFAULTS`) but its memory
budget.

The budget stays DuckDB's own: a load that runs out of it is loaded again with a bigger one by
the CLI's runner (`pipelines/run/load.py`), which the in-process tests do not go through; the
CLI and first-hour tests do.

Loaded with dlt's defaults instead (up to 20 jobs at once, the database opened and closed for
each), a tiny world's first sync took about a tenth more CPU, alternated in one process.

The test also holds the file open from the pipeline's creation to its own end (`close_held`,
called by an autouse fixture in `tests/conftest.py`): dlt opens and closes the database for
every query outside the load step (its state and schemas before extraction, the tests' own
reads), and a close checkpoints. A tiny world's incremental syncs took 10 to 30 % less CPU
(three alternated pairs of processes); `tests/sources` and `tests/convergence` 3 % less, back
to back. What is loaded does not change; the CLI's own opening and closing is tested through
the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from pipelines.destinations import duckdb_memory
from pipelines.run.construct import duckdb_loading

SETTINGS = {k: v for k, v in duckdb_memory.DEFAULTS.items() if k != "memory_limit"}

_held: list[Any] = []  # DuckDB connections kept open until `close_held`


def duckdb_pipeline(
    pipeline_name: str, pipelines_dir: Path | str, duckdb_file: Path | str, dataset_name: str
) -> dlt.Pipeline:
    destination, progress = duckdb_loading(str(duckdb_file), SETTINGS)
    # opened as the load step's connection is, or DuckDB refuses dlt's connections
    _hold_open(Path(duckdb_file), progress.connect_config)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=destination,
        dataset_name=dataset_name,
        progress=progress,
    )


def _hold_open(duckdb_file: Path, connect_config: dict[str, Any]) -> None:
    import duckdb

    duckdb_file.parent.mkdir(parents=True, exist_ok=True)
    _held.append(duckdb.connect(str(duckdb_file), config=connect_config))


def close_held() -> None:
    """Close the files `duckdb_pipeline` holds open (each test's end)."""
    while _held:
        _held.pop().close()
