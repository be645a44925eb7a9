"""`deletes = "hard"` on delta tables: the rows of records that left are deleted after the load.

dlt 1.31 refuses its `hard_delete` hint on delta tables that have nested tables. So on
filesystem+delta the sync loads records that left as soft mode does (root row and parts
flagged `_deleted_at`, links removed by `delta_prune`), and this step then deletes with
`deltalake`, entity by entity (`delta_tables`): the parts flagged or of a flagged record, then
the flagged root rows, each after its nested rows (`_dlt_root_id`).

It deletes every flagged row, not only this load's: a run that died between its load and this
step leaves its flags, and the next run deletes them. Children go before their parents, so a
step cut short leaves flagged parents, found again next time. Cost: each run queries the flag
columns of the four root tables; only when some are flagged does it query the parts table and
delete (delta rewrites the data files holding deleted rows, a commit per table that had any).
"""

from __future__ import annotations

import logging
from typing import Any

import dlt

from pipelines.destinations.delta_tables import merged_delta_roots
from sources.intercom.tombstones import (
    CHILDREN_OF,
    DELETED_AT,
    MERGED_INTO_ID,
    PARTS_OF,
    SIDE_TABLES,
)
from sources.intercom.warehouse import delta_query, sql_in

log = logging.getLogger("intercom_sync")

ENTITY_ROOTS = tuple(SIDE_TABLES)  # the root tables whose records can leave


def delete_flagged_rows(pipeline: dlt.Pipeline) -> int:
    """Delete the rows hard mode removes (flagged roots and parts, their nested rows) from the
    pipeline's delta tables; returns how many rows were deleted."""
    from dlt.common.libs.deltalake import get_delta_tables

    roots = merged_delta_roots(pipeline)

    def table(name: str) -> Any:
        return get_delta_tables(pipeline, name)[name]

    deleted = 0
    for root in ENTITY_ROOTS:
        if root not in roots:
            continue
        gone = _flagged(table(root))
        # its parts and the other tables of its records (the opt-in conversation reads)
        children = ((PARTS_OF[root],) if root in PARTS_OF else ()) + CHILDREN_OF.get(root, ())
        for parts, parent_key in children:
            if parts in roots:
                dead_parts = _flagged(table(parts), parent_key, sorted(gone.values()))
                deleted += _delete(table, parts, roots[parts], sorted(dead_parts))
        deleted += _delete(table, root, roots[root], sorted(gone))
    return deleted


def _flagged(
    delta: Any, parent_key: str | None = None, parents: list[str] | None = None
) -> dict[str, str]:
    """`_dlt_id` -> `id` of the rows flagged as gone, or (`parent_key`) whose parent is."""
    names = {field.name for field in delta.schema().fields}
    conditions = [f'"{c}" IS NOT NULL' for c in (DELETED_AT, MERGED_INTO_ID) if c in names]
    if parent_key and parents:
        conditions.append(sql_in(parent_key, parents))
    if not conditions:
        return {}
    rows = delta_query(delta, ("_dlt_id", "id"), " OR ".join(conditions))
    ids = map(str, rows.column("id").to_pylist())
    return dict(zip(rows.column("_dlt_id").to_pylist(), ids, strict=True))


def _delete(table: Any, name: str, nested: list[str], dlt_ids: list[str]) -> int:
    """Delete rows `dlt_ids` of root table `name`, their nested rows first."""
    if not dlt_ids:
        return 0
    deleted = 0
    for child in nested:
        metrics = table(child).delete(sql_in("_dlt_root_id", dlt_ids))
        deleted += _deleted_rows(metrics)
    deleted += _deleted_rows(table(name).delete(sql_in("_dlt_id", dlt_ids)))
    log.info("%s: deleted %d row(s) of records that left (deletes = hard)", name, len(dlt_ids))
    return deleted


def _deleted_rows(metrics: Any) -> int:
    return int((metrics or {}).get("num_deleted_rows", 0))
