"""dlt's functions where a sync's CPU goes (private names), timed by bench/cpu_breakdown.py."""

from __future__ import annotations

# label -> (module, attribute path of a function or method)
DLT_HOT_PATHS: dict[str, tuple[str, str]] = {
    "dlt: Arrow items written": ("dlt.extract.extractors", "ArrowExtractor.write_items"),
    "dlt: table schema per item": (
        "dlt.extract.extractors",
        "ArrowExtractor._compute_and_update_tables",
    ),
    "dlt: parquet writing": ("dlt.common.data_writers.writers", "ArrowToParquetWriter.write_data"),
    "load jobs (DuckDB)": ("dlt.common.destination.client", "RunnableLoadJob.run_managed"),
}
