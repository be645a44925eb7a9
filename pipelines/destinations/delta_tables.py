"""Which delta tables hold an entity's rows.

A merged root table (`contacts`, `conversations`, `conversation_parts` …) owns every nested
table below it in the schema (`contacts__tags`, `conversation_parts__attachments` …), whose
rows carry `_dlt_root_id`: the `_dlt_id` of their root row. A conversation or ticket also owns
its parts table (`tombstones.PARTS_OF`, linked by `conversation_id`/`ticket_id`), itself a
root with nested tables. The post-load steps (`delta_prune`, `delta_hard_deletes`) read the
first fact here.
"""

from __future__ import annotations

import dlt

from sources.intercom.dlt_compat import root_table_of


def merged_delta_roots(pipeline: dlt.Pipeline) -> dict[str, list[str]]:
    """Every merged delta root table holding data -> its nested tables (any depth)."""
    tables = pipeline.default_schema.tables
    nested: dict[str, list[str]] = {}
    for name in pipeline.default_schema.data_table_names(seen_data_only=True):
        root = root_table_of(tables, name)
        if root.get("write_disposition") != "merge" or root.get("table_format") != "delta":
            continue
        nested.setdefault(root["name"], [])
        if tables[name].get("parent"):
            nested[root["name"]].append(name)
    return nested
