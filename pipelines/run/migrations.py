"""Bring a warehouse loaded by an earlier version to today's columns, before a run loads.

Three changes of the table shapes (docs/tables-naming.md) would otherwise leave old columns
beside new ones, because dlt 1.31 neither renames nor retypes a column that exists:
  * id columns are text everywhere (`schema.is_id_column`). A hinted type that changes
    (`admin_assignee_id` bigint → text) is taken into dlt's schema silently, but the
    destination column stays BIGINT: the next non-numeric id would fail the load. Here the
    column is altered to text (`0`, the 2.16 "unassigned", becomes NULL as the source now
    loads it);
  * attribute columns have readable names (`ticket_attributes___default_titlex` →
    `ticket_attributes__default_title`): renamed, values kept — else dlt adds the new column
    and the old one keeps the history;
  * every nested table carries its parent's id: added and filled from the parent rows (a
    list of ids, loaded as `value`, becomes the id column it holds).
Each step checks the destination (information_schema) and dlt's stored schema and changes
only what is still old, so it is a no-op on a current warehouse and can be re-run after a
crash. SQL destinations (DuckDB, Postgres) are migrated; on others a warning says what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.schema import Schema
from dlt.common.schema.typing import TColumnSchema

from sources.intercom.attribute_keys import AttributeKeys
from sources.intercom.dlt_compat import has_dataset, store_schema_in_destination
from sources.intercom.naming import column_key
from sources.intercom.parts import TICKET_ATTRIBUTES, UNASSIGNED_AS_ZERO
from sources.intercom.schema import CUSTOM_ATTRIBUTES_PREFIX, is_id_column
from sources.intercom.settings import destination_kind

log = logging.getLogger(__name__)

MIGRATED_DESTINATIONS = frozenset({"duckdb", "postgres"})
_TEXT_TYPES = frozenset({"varchar", "text", "character varying", "string"})
# Resources whose rows have custom attributes (their owners are in the resource state).
_CUSTOM_ATTRIBUTE_RESOURCES = ("contacts", "companies", "conversations", "tickets")


@dataclass(frozen=True)
class ParentIds:
    """A nested table's parent id columns, as the source now writes them (lookups.py,
    parts.py): `columns` new column -> the parent's column; `value` the column a list of
    ids, loaded as `value`, becomes."""

    parent: str
    columns: Mapping[str, str]
    value: str | None = None


NESTED_PARENT_IDS: dict[str, ParentIds] = {
    **{
        f"admins__team_priority_level__{level}_team_ids": ParentIds(
            "admins", {"admin_id": "id"}, value="team_id"
        )
        for level in ("primary", "secondary")
    },
    **{
        f"teams__admin_priority_level__{level}_admin_ids": ParentIds(
            "teams", {"team_id": "id"}, value="admin_id"
        )
        for level in ("primary", "secondary")
    },
    "data_attributes__options": ParentIds(
        "data_attributes", {"data_attribute_model": "model", "data_attribute_name": "name"}
    ),
    "ticket_types__ticket_type_attributes__input_options__list_options": ParentIds(
        "ticket_types__ticket_type_attributes",
        {"ticket_type_id": "ticket_type_id", "ticket_type_attribute_id": "id"},
    ),
    "conversations__linked_objects__data": ParentIds("conversations", {"conversation_id": "id"}),
    "tickets__linked_objects__data": ParentIds("tickets", {"ticket_id": "id"}),
    "conversation_parts__attachments": ParentIds(
        "conversation_parts", {"conversation_part_id": "id"}
    ),
    "ticket_parts__attachments": ParentIds("ticket_parts", {"ticket_part_id": "id"}),
}


@dataclass
class _Plan:
    """What a warehouse needs: SQL `statements`, and whether dlt's schema was edited."""

    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schema_changed: bool = False


def migrate_warehouse(
    pipeline: dlt.Pipeline,
    conversation_attribute_types: Callable[[], Mapping[str, TColumnSchema]] | None = None,
    refreshing: bool = False,
) -> list[str]:
    """Migrate the pipeline's destination and stored schema; the changes made, one line each
    (empty for a new or current warehouse). `conversation_attribute_types()`: the declared
    columns of conversation custom attributes (asked only when a column may need widening).
    `refreshing`: this run is the full refresh the warning for other destinations asks for."""
    if not pipeline.default_schema_name:
        # No local state (a new machine, a wiped pipelines dir): dlt would restore schema and
        # state from the destination inside `run`, after this; restore them here first.
        pipeline.sync_destination()
    if not pipeline.default_schema_name:
        return []  # a first run: nothing loaded yet
    schema = pipeline.default_schema
    kind = destination_kind(pipeline)
    if kind not in MIGRATED_DESTINATIONS:
        if not refreshing and _legacy_shapes(schema, pipeline.state):
            log.warning(
                "tables loaded by an earlier version have old column names/types; on %s "
                "they are not migrated in place: run once with --full-refresh "
                "(docs/tables-naming.md)",
                kind,
            )
        return []
    with pipeline.sql_client() as client:
        if not has_dataset(client):
            return []
        existing = _destination_columns(client, pipeline.dataset_name)
        plan = _Plan()
        _plan_parent_ids(plan, client, schema, existing)
        _plan_attribute_renames(plan, client, schema, existing, pipeline.state)
        _plan_id_types(plan, client, schema, existing)
        _plan_declared_doubles(plan, client, schema, existing, conversation_attribute_types)
        # One by one (DuckDB refuses to update a table altered in the same transaction); a
        # crash between them leaves a state the next run's plan starts from.
        for statement in plan.statements:
            client.execute_sql(statement)
    if plan.schema_changed:
        pipeline.schemas.save_schema(schema)
        # Store it in the destination too: reads of earlier loads during this run's extract
        # (tombstone flags, sources/intercom/warehouse.py) take the stored schema's columns.
        store_schema_in_destination(pipeline)
        for note in plan.notes:
            log.warning("migrated: %s", note)
    return plan.notes


def _legacy_shapes(schema: Schema, state: Mapping[str, Any]) -> bool:
    """Whether dlt's schema still has shapes of an earlier version (without the SQL check)."""
    resources = state.get("sources", {}).get("intercom", {}).get("resources", {})
    if any(
        AttributeKeys.legacy_renames(resources.get(name) or {}, "custom_attributes")
        for name in _CUSTOM_ATTRIBUTE_RESOURCES
    ):
        return True
    for table in schema.data_tables():
        for name, column in table.get("columns", {}).items():
            if is_id_column(name) and column.get("data_type") not in (None, "text"):
                return True
            if name.startswith(f"{TICKET_ATTRIBUTES}___"):  # dlt's `_default_title_`
                return True
    return False


def _destination_columns(client: Any, dataset: str) -> dict[str, dict[str, str]]:
    """table -> column -> lower-case data type, as the destination has them."""
    rows = client.execute_sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s",
        dataset,
    )
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows or []:
        tables.setdefault(str(table), {})[str(column)] = str(data_type).lower()
    return tables


def _schema_columns(schema: Schema, table: str) -> dict[str, TColumnSchema]:
    return schema.tables.get(table, {}).get("columns", {})


def _rename_in_schema(schema: Schema, table: str, old: str, new: str) -> None:
    """`old` -> `new` in the table's columns, in place and in position."""
    columns = schema.tables[table]["columns"]
    renamed = {(new if name == old else name): column for name, column in columns.items()}
    renamed[new] = {**columns[old], "name": new}
    schema.tables[table]["columns"] = renamed


def _plan_parent_ids(
    plan: _Plan, client: Any, schema: Schema, existing: dict[str, dict[str, str]]
) -> None:
    for path, spec in NESTED_PARENT_IDS.items():
        # as dlt names the table on this destination (Postgres: 63 characters, shortened)
        table = schema.naming.normalize_path(path)
        have = existing.get(table)
        if have is None or table not in schema.tables:
            continue
        qualified = client.make_qualified_table_name(table)
        if spec.value and "value" in have and spec.value not in have:
            plan.statements.append(
                f"ALTER TABLE {qualified} RENAME COLUMN value TO {client.escape_column_name(spec.value)}"
            )
            have[spec.value] = have.pop("value")
            plan.notes.append(f"{table}.value renamed {spec.value}")
        if spec.value and "value" in _schema_columns(schema, table):
            _rename_in_schema(schema, table, "value", spec.value)
            plan.schema_changed = True
        parent = client.make_qualified_table_name(schema.naming.normalize_path(spec.parent))
        for column, parent_column in spec.columns.items():
            if column not in have:
                escaped = client.escape_column_name(column)
                plan.statements.append(f"ALTER TABLE {qualified} ADD COLUMN {escaped} varchar")
                plan.statements.append(
                    f"UPDATE {qualified} SET {escaped} = "
                    f"CAST(p.{client.escape_column_name(parent_column)} AS varchar) "
                    f"FROM {parent} AS p WHERE p._dlt_id = {qualified}._dlt_parent_id"
                )
                have[column] = "varchar"
                plan.notes.append(f"{table}.{column} added, from {spec.parent}.{parent_column}")
            if column not in _schema_columns(schema, table):
                schema.tables[table]["columns"][column] = {
                    "name": column,
                    "data_type": "text",
                    "nullable": True,
                }
                plan.schema_changed = True


def _attribute_renames(
    client: Any, state: Mapping[str, Any], existing: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """table -> old column -> new column, for the attribute columns named by dlt's rule."""
    resources = state.get("sources", {}).get("intercom", {}).get("resources", {})
    renames: dict[str, dict[str, str]] = {}
    for resource in _CUSTOM_ATTRIBUTE_RESOURCES:
        by_key = AttributeKeys.legacy_renames(resources.get(resource) or {}, "custom_attributes")
        renames[resource] = {
            f"{CUSTOM_ATTRIBUTES_PREFIX}__{old}": f"{CUSTOM_ATTRIBUTES_PREFIX}__{new}"
            for old, new in by_key.items()
        }
    # Ticket attributes were named by dlt from the data, owners not kept: their names are in
    # the loaded ticket type definitions, seen oldest first as the tickets resource sees them.
    definitions = "ticket_types__ticket_type_attributes"
    if "tickets" in existing and {"name", "created_at"} <= set(existing.get(definitions, {})):
        rows = client.execute_sql(
            f"SELECT name, min(created_at) AS first FROM "
            f"{client.make_qualified_table_name(definitions)} "
            "WHERE name IS NOT NULL GROUP BY name ORDER BY first, name"
        )
        keys = AttributeKeys(TICKET_ATTRIBUTES, {})
        names = [str(name) for name, _ in rows or []]
        keys.see(names)
        renames.setdefault("tickets", {}).update(
            {
                f"{TICKET_ATTRIBUTES}__{column_key(name)}": f"{TICKET_ATTRIBUTES}__{keys.columns[name]}"
                for name in names
                if column_key(name) != keys.columns[name]
            }
        )
    return renames


def _plan_attribute_renames(
    plan: _Plan,
    client: Any,
    schema: Schema,
    existing: dict[str, dict[str, str]],
    state: Mapping[str, Any],
) -> None:
    for table, renames in _attribute_renames(client, state, existing).items():
        have = existing.get(table)
        if have is None or table not in schema.tables:
            continue
        for old, new in renames.items():
            if old in have and new not in have:
                plan.statements.append(
                    f"ALTER TABLE {client.make_qualified_table_name(table)} RENAME COLUMN "
                    f"{client.escape_column_name(old)} TO {client.escape_column_name(new)}"
                )
                have[new] = have.pop(old)
                plan.notes.append(f"{table}.{old} renamed {new}")
            elif old in have:
                log.warning("%s: both %s and %s exist; %s left as it is", table, old, new, old)
                continue
            if old in _schema_columns(schema, table) and new not in _schema_columns(schema, table):
                _rename_in_schema(schema, table, old, new)
                plan.schema_changed = True


_INTEGER_TYPES = frozenset({"bigint", "integer", "int", "int8", "int64", "hugeint", "smallint"})
_DOUBLE_VARIANT = "__v_double"  # dlt's variant column of a double in a bigint column


def _plan_declared_doubles(
    plan: _Plan,
    client: Any,
    schema: Schema,
    existing: dict[str, dict[str, str]],
    declared: Callable[[], Mapping[str, TColumnSchema]] | None,
) -> None:
    """Earlier versions typed conversation custom attributes from their values, so a decimal
    attribute first seen as 3 became BIGINT, and 3.5 then went to a `<column>__v_double`
    variant. Today they are typed from their definitions: widen such a column to double and
    fold its variant back into it."""
    have = existing.get("conversations", {})
    prefix = f"{CUSTOM_ATTRIBUTES_PREFIX}__"
    candidates = [
        column
        for column, data_type in have.items()
        if (column.startswith(prefix) and data_type in _INTEGER_TYPES)
        or f"{column}{_DOUBLE_VARIANT}" in have
    ]
    if not candidates or declared is None:
        return
    types = declared()
    table = client.make_qualified_table_name("conversations")
    columns = _schema_columns(schema, "conversations")
    for column in candidates:
        if types.get(column, {}).get("data_type") != "double":
            continue
        escaped = client.escape_column_name(column)
        if have[column] in _INTEGER_TYPES:
            plan.statements.append(
                f"ALTER TABLE {table} ALTER COLUMN {escaped} TYPE double precision"
            )
            plan.notes.append(f"conversations.{column} {have[column]} -> double (declared)")
            have[column] = "double"
        variant = f"{column}{_DOUBLE_VARIANT}"
        if variant in have:
            escaped_variant = client.escape_column_name(variant)
            plan.statements.append(
                f"UPDATE {table} SET {escaped} = {escaped_variant} "
                f"WHERE {escaped_variant} IS NOT NULL"
            )
            plan.statements.append(f"ALTER TABLE {table} DROP COLUMN {escaped_variant}")
            plan.notes.append(f"conversations.{variant} folded into {column}")
            del have[variant]
            if columns.pop(variant, None) is not None:
                plan.schema_changed = True
        if columns.get(column, {}).get("data_type") not in (None, "double"):
            columns[column]["data_type"] = "double"
            plan.schema_changed = True


def _plan_id_types(
    plan: _Plan, client: Any, schema: Schema, existing: dict[str, dict[str, str]]
) -> None:
    for table, have in existing.items():
        if table not in schema.tables or table.startswith("_dlt"):  # dlt's own: left alone
            continue
        for column, data_type in have.items():
            if not is_id_column(column):
                continue
            if data_type not in _TEXT_TYPES:
                escaped = client.escape_column_name(column)
                value = f"NULLIF({escaped}, 0)" if column in UNASSIGNED_AS_ZERO else escaped
                plan.statements.append(
                    f"ALTER TABLE {client.make_qualified_table_name(table)} ALTER COLUMN "
                    f"{escaped} TYPE varchar USING CAST({value} AS varchar)"
                )
                have[column] = "varchar"
                plan.notes.append(f"{table}.{column} {data_type} -> text")
            schema_column = _schema_columns(schema, table).get(column)
            if schema_column is not None and schema_column.get("data_type") != "text":
                schema_column["data_type"] = "text"
                plan.schema_changed = True
