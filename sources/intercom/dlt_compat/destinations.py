"""dlt's destination clients beyond their documented use (`pipeline.sql_client()` running SQL):
the stored pipeline state, the staging dataset, the stored schema, a DB-API cursor's column
names and a dataset's delta tables."""

from __future__ import annotations

from typing import Any

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.pipeline.state_sync import load_pipeline_state_from_destination

# -- state and schema stored in the destination -----------------------------------------------


def committed_pipeline_state(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The pipeline state stored in the destination with its last load (empty if none:
    nothing loaded into the dataset yet)."""
    try:
        with pipeline.destination_client() as client:
            state = load_pipeline_state_from_destination(pipeline.pipeline_name, client)
    except DestinationUndefinedEntity:
        return {}
    return state or {}


def store_schema_in_destination(pipeline: dlt.Pipeline) -> None:
    """Store the pipeline's default schema (as saved locally) in its destination's
    `_dlt_version` table, as a load does when the schema changed."""
    with pipeline.destination_client() as client:
        client.update_stored_schema()


# -- datasets ---------------------------------------------------------------------------------


def has_dataset(sql_client: Any) -> bool:
    """Whether the dataset of an open `pipeline.sql_client()` exists in the destination."""
    return bool(sql_client.has_dataset())


def drop_staging_dataset(pipeline: dlt.Pipeline, *, filesystem: bool) -> bool:
    """Drop the pipeline's staging dataset (`<dataset>_staging`); False if there is none.
    `filesystem`: the destination is dlt's filesystem (a folder, not a SQL schema)."""
    if filesystem:
        with pipeline.destination_client() as files, files.with_staging_dataset():
            if not files.is_storage_initialized():
                return False
            files.drop_storage()
        return True
    with pipeline.sql_client() as client, client.with_staging_dataset():
        if not client.has_dataset():
            return False
        client.drop_dataset()
    return True


# -- reading ----------------------------------------------------------------------------------


def cursor_column_names(cursor: Any) -> list[str]:
    """The column names of the result of `sql_client.execute_query` (dlt's cursor wrapper;
    a SQLAlchemy cursor has no `description` of its own)."""
    return cursor._get_columns()


def open_delta_table(dataset: Any, table: str) -> Any | None:
    """The `deltalake.DeltaTable` of `table` in a `pipeline.dataset()` of dlt's filesystem
    destination; None on another destination or if `table` is not a delta table (yet)."""
    if dataset.destination_client.config.destination_type.rsplit(".", 1)[-1] != "filesystem":
        return None
    client = dataset.open_table_client
    if not client.is_open_table("delta", table):
        return None
    return client.load_open_table("delta", table)
