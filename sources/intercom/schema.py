"""Column hints for the Intercom tables, declared from the OpenAPI models rather than
inferred from data, so types are stable run to run and all-null columns still exist.

The data comes from `schema_data.json`, generated from the vendored 2.9 and 2.16 specs by
`gen_schema.py` (see its docstring for the rules). Arrays are not listed: they become child
tables or are reshaped by the resources. Columns not listed still load — dlt evolves the
schema — they are just typed from the data.

Version mapping: a requested API version uses the newest generated spec not newer than it
(2.9…2.15 → 2.9, 2.16+ and "Preview" → 2.16). For 2.10–2.15 this is approximate (e.g.
ticket_state is an object from 2.12): dlt then loads the differing fields as it finds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlt.common.schema.typing import TColumnSchema

from sources.intercom.api_version import at_least, version_key
from sources.intercom.naming import readable_key

if TYPE_CHECKING:
    from sources.intercom.attribute_keys import AttributeKeys

DATA_FILE = Path(__file__).with_name("schema_data.json")
CUSTOM_ATTRIBUTES_PREFIX = "custom_attributes"
# /data_attributes `data_type` -> dlt type. Custom `date` attributes hold Unix seconds.
CUSTOM_ATTRIBUTE_TYPES = {
    "string": "text",
    "integer": "bigint",
    "float": "double",
    "boolean": "bool",
    "date": "timestamp",
}


@lru_cache(maxsize=1)
def _versions() -> dict[str, dict[str, dict[str, str]]]:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)["versions"]


def spec_version_for(api_version: str) -> str:
    """The generated spec version whose types apply to `api_version`."""
    available = sorted(_versions(), key=version_key)
    candidates = [v for v in available if at_least(api_version, v)]
    return candidates[-1] if candidates else available[0]


def tables() -> list[str]:
    """Root tables with declared columns (in any generated spec: 2.9's sections too)."""
    return sorted({table for by_table in _versions().values() for table in by_table})


def column_schema(data_type: str) -> TColumnSchema:
    column: TColumnSchema = {"data_type": data_type, "nullable": True}  # type: ignore[typeddict-item]
    if data_type == "timestamp":
        column["timezone"] = True  # Unix seconds are UTC instants
    return column


def table_columns(table: str, api_version: str) -> dict[str, TColumnSchema]:
    """Column hints for a root table (e.g. "contacts") under an API version ("2.16")."""
    by_table = _versions()[spec_version_for(api_version)]
    if table not in by_table:
        # an endpoint the mapped spec lacks (newer, or gone like 2.9's sections): the types of
        # the newest spec that has it
        for version in sorted(_versions(), key=version_key, reverse=True):
            if table in _versions()[version]:
                by_table = _versions()[version]
                break
    if table not in by_table:
        raise KeyError(f"no declared columns for table {table!r}; known: {sorted(by_table)}")
    return {name: column_schema(data_type) for name, data_type in by_table[table].items()}


def custom_attribute_column_name(name: str) -> str:
    """The column of `custom_attributes.<name>` (before any collision suffix)."""
    return f"{CUSTOM_ATTRIBUTES_PREFIX}__{readable_key(name)}"


def is_id_column(name: str) -> bool:
    """Whether a column holds an Intercom object id: `id`, `*_id`, `*__id`. Typed text on
    every table (Intercom's ids are strings; some endpoints send numbers), so that any id
    joins to any id without a cast. Attribute columns are typed by their definitions."""
    if name.startswith((f"{CUSTOM_ATTRIBUTES_PREFIX}__", "ticket_attributes__", "_dlt_")):
        return False
    return name == "id" or name.endswith("_id")


def custom_attribute_columns(
    definitions: Iterable[Mapping[str, Any]], keys: AttributeKeys | None = None
) -> dict[str, TColumnSchema]:
    """Column hints for custom attributes from `/data_attributes` items (custom=True only;
    archived ones included, their old values may still be there). Unknown data types are
    left for dlt to infer. With `keys`, each attribute's column is the one `keys` gives it,
    the oldest attribute (`created_at`) seen first, so two names that make one column get
    two; without, the first of them wins."""
    custom = [d for d in definitions if d.get("custom") and d.get("name")]
    if keys is not None:
        custom.sort(key=lambda d: d.get("created_at") or 0)  # stable: API order for ties
        keys.see(str(d["name"]) for d in custom)
    columns: dict[str, TColumnSchema] = {}
    for definition in custom:
        name = str(definition["name"])
        data_type = CUSTOM_ATTRIBUTE_TYPES.get(str(definition.get("data_type")))
        if data_type is None:
            continue
        key = keys.column_for(name) if keys is not None else readable_key(name)
        columns.setdefault(f"{CUSTOM_ATTRIBUTES_PREFIX}__{key}", column_schema(data_type))
    return columns
