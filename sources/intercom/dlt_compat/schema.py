"""dlt's schema helpers that are importable but not documented API."""

from __future__ import annotations

from collections.abc import Mapping

from dlt.common.destination.utils import resolve_merge_strategy
from dlt.common.schema.typing import TTableSchema
from dlt.common.schema.utils import get_root_table


def merge_strategy_of(table: TTableSchema) -> str | None:
    """The merge strategy dlt will use for a root `table` (None unless it merges)."""
    return resolve_merge_strategy({table["name"]: table}, table)


def root_table_of(tables: Mapping[str, TTableSchema], table: str) -> TTableSchema:
    """The root table of `table` (itself if it is one), following `parent` in a schema's
    `tables`."""
    return get_root_table(tables, table)  # type: ignore[arg-type]
