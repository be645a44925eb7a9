"""Destination tuning: dlt defaults, DuckDB memory and file handling, delta table pruning."""
