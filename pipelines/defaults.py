"""Defaults of `intercom-sync`'s names, in one module that nobody imports a runner for."""

from __future__ import annotations

# The DuckDB file stem must differ from the dataset name, or DuckDB reports an
# "ambiguous reference to catalog or schema".
DEFAULT_DATASET = "intercom_raw"
DEFAULT_PIPELINE = "intercom"
# Table formats for the filesystem destination; plain parquet files cannot be merged into.
# Only delta is offered: it is tested here, and delta_prune.py completes its merges. (dlt's
# iceberg needs pyiceberg and a catalog, and its upsert has the same nested-rows gap.)
TABLE_FORMATS = ("delta",)
