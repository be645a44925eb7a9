"""Delete vanished nested rows from delta tables after a merge.

dlt's delta upsert updates and inserts nested rows but cannot delete them (dlt-hub/dlt#1600):
when a contact loses a tag, its old `contacts__tags` row would stay forever. On DuckDB and
Postgres the upsert replaces a parent's nested rows; this does the same for delta.

For every root row a load upserted, its nested rows now in the table are kept only if this
load wrote them. What the load wrote is read from the load package's own parquet files (dlt
keeps completed packages); nested rows carry `_dlt_root_id`, the upserted root's `_dlt_id`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

import dlt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.destinations.delta_tables import merged_delta_roots
from sources.intercom.warehouse import sql_in

log = logging.getLogger("intercom_sync")


def _package_files(pipeline: dlt.Pipeline, load_id: str) -> dict[str, list[str]]:
    files: dict[str, list[str]] = defaultdict(list)
    info = pipeline.get_load_package_info(load_id)
    for job in info.jobs.get("completed_jobs", []):
        if job.file_path.endswith(".parquet"):
            files[job.job_file_info.table_name].append(job.file_path)
    return files


def _ids(paths: Iterable[str], column: str) -> set[str]:
    ids: set[str] = set()
    for path in paths:
        ids.update(pq.read_table(path, columns=[column]).column(column).to_pylist())
    return ids


def prune_nested_rows(pipeline: dlt.Pipeline, load_ids: Iterable[str]) -> int:
    """Delete nested rows of upserted roots that the loads did not write; rows deleted."""
    from dlt.common.libs.deltalake import get_delta_tables

    nested_of = {root: nested for root, nested in merged_delta_roots(pipeline).items() if nested}
    if not nested_of:
        return 0
    deleted = 0
    for load_id in load_ids:
        files = _package_files(pipeline, load_id)
        for root, nested_tables in nested_of.items():
            upserted = _ids(files.get(root, []), "_dlt_id")
            if not upserted:
                continue
            for name in nested_tables:
                written = _ids(files.get(name, []), "_dlt_id")
                table = get_delta_tables(pipeline, name)[name]
                current = table.to_pyarrow_table(columns=["_dlt_id", "_dlt_root_id"])
                of_upserted = current.filter(
                    pc.is_in(
                        current.column("_dlt_root_id"),
                        value_set=pa.array(sorted(upserted), pa.string()),
                    )
                )
                stale = sorted(set(of_upserted.column("_dlt_id").to_pylist()) - written)
                if stale:
                    table.delete(sql_in("_dlt_id", stale))
                    deleted += len(stale)
                    log.info("%s: deleted %d vanished nested rows", name, len(stale))
    return deleted
