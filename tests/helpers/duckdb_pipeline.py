"""A dlt pipeline into a DuckDB file, loading the way `intercom-sync` loads DuckDB
(`pipelines.run.construct.duckdb_loading`): one load job at a time, the file held open for the
whole load step, and the sync's DuckDB settings (`duckdb_memory.DEFAULTS`) but its memory
budget.

The budget stays DuckDB's own: a load that runs out of it is loaded again with a bigger one by
the CLI's runner (`pipelines/run/load.py`), which the in-process tests do not go through; the
CLI and first-hour tests do.

Loaded with dlt's defaults instead (up to 20 jobs at once, the database opened and closed for
each), a tiny world's first sync took about a tenth more CPU, alternated in one process."""

from __future__ import annotations

from pathlib import Path

import dlt

from pipelines.destinations import duckdb_memory
from pipelines.run.construct import duckdb_loading

SETTINGS = {k: v for k, v in duckdb_memory.DEFAULTS.items() if k != "memory_limit"}


def duckdb_pipeline(
    pipeline_name: str, pipelines_dir: Path | str, duckdb_file: Path | str, dataset_name: str
) -> dlt.Pipeline:
    destination, progress = duckdb_loading(str(duckdb_file), SETTINGS)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=destination,
        dataset_name=dataset_name,
        progress=progress,
    )
