"""Destination tuning: dlt defaults, DuckDB memory and file handling, delta table pruning, and
the history tables of history mode (`history_tables`)."""
