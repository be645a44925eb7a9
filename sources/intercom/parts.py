"""Searchable entities that carry parts (conversations, tickets): what they are and how a
record fetched with `GET /<entity>/{id}` becomes warehouse rows.

One `EntityWithParts` describes an entity once; `split_record` turns one API record into
  * the root row: embedded reference lists replaced by `{<parent>_id, <other>_id}` rows (dlt
    loads them as the nested link tables `<entity>__<field>`), the parts removed, and two
    bookkeeping columns added (`parts_total_count`, `parts_truncated`);
  * the part rows for the separate root table `conversation_parts` / `ticket_parts`, each
    carrying the parent id column (`conversation_id` / `ticket_id`).
Pure functions only: no HTTP, no dlt state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sources.intercom.arrow_rows import nested_table_name
from sources.intercom.attribute_keys import AttributeKeys
from sources.intercom.naming import readable_key
from sources.intercom.records import link_rows, list_items
from sources.intercom.schema import column_schema

TICKET_ATTRIBUTES = "ticket_attributes"
# Assignee ids that API 2.16 sends as 0 for "unassigned" (≤2.15: null). Loaded as null on
# every version: an id '0' would count as assigned and join to no admin or team.
UNASSIGNED_AS_ZERO = ("admin_assignee_id", "team_assignee_id")
# Columns added to the root row (see the README's table reference).
PARTS_TOTAL_COUNT = "parts_total_count"  # `<parts>.total_count` as the API reports it
PARTS_TRUNCATED = "parts_truncated"  # True when the API returned fewer parts than that
BOOKKEEPING_COLUMNS = {
    PARTS_TOTAL_COUNT: column_schema("bigint"),
    PARTS_TRUNCATED: column_schema("bool"),
}


@dataclass(frozen=True)
class LinkList:
    """An embedded list of references that becomes the link table `<entity>__<field>`."""

    # key in the API record, e.g. "contacts" ({"type": "contact.list", "contacts": [...]})
    field: str
    id_column: str  # column holding the referenced id, e.g. "contact_id"
    # the key of the list inside the object, as real Intercom sends it (issue 17): e.g.
    # `teammates` is {"type": "admin.list", "admins": [...]}, not the spec's `teammates`
    items_key: str = ""
    # item fields kept besides the id, as `<id column without _id>_<field>` columns (a linked
    # object's type and category, a topic's name)
    keep: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.items_key or self.field


@dataclass(frozen=True)
class EntityWithParts:
    """A searchable entity whose detail record embeds its (newest 500) parts."""

    name: str  # resource name and root table, e.g. "conversations"
    parent_id_column: str  # id column of the parts and link tables, e.g. "conversation_id"
    parts_field: str  # key of the parts wrapper, of the list inside it, and the parts table
    links: tuple[LinkList, ...]
    min_api_version: str  # first version with `POST /<name>/search`
    # Embedded copies of records synced elsewhere (a conversation's `company`, a ticket's
    # `ticket_type`): their scalar fields are kept, their nested lists dropped (the owning
    # table has them; here they would only add child tables repeating them per record).
    embedded_records: tuple[str, ...] = ()
    # Free-form objects whose keys are attribute names: readable columns (attribute_keys.py)
    attribute_fields: tuple[str, ...] = ("custom_attributes",)

    @property
    def search_path(self) -> str:
        return f"/{self.name}/search"

    @property
    def items_key(self) -> str:
        return self.name  # {"type": "conversation.list", "conversations": [...]}

    @property
    def parts_table(self) -> str:
        return self.parts_field

    @property
    def part_id_column(self) -> str:
        """The id column of a part's nested rows (`conversation_part_id`)."""
        return f"{self.parts_field.removesuffix('s')}_id"

    @property
    def nested_tables(self) -> tuple[str, ...]:
        """The child tables of the root table: its link lists."""
        return tuple(nested_table_name(self.name, link.field) for link in self.links)

    @property
    def parts_nested_tables(self) -> tuple[str, ...]:
        """The child tables of the parts table (a part's attachments)."""
        return (nested_table_name(self.parts_table, "attachments"),)

    def detail_path(self, record_id: str) -> str:
        # Tickets: the API `id`, never `ticket_id` (the inbox number).
        return f"/{self.name}/{record_id}"


CONVERSATIONS = EntityWithParts(
    name="conversations",
    parent_id_column="conversation_id",
    parts_field="conversation_parts",
    links=(
        LinkList("contacts", "contact_id"),
        LinkList("tags", "tag_id"),
        LinkList("teammates", "admin_id", items_key="admins"),
        # 2.10+: {"type": "topic.list", "topics": [...]}; no topics endpoint: keep the name
        LinkList("topics", "topic_id", keep=("name",)),
        LinkList("linked_objects", "linked_object_id", items_key="data", keep=("type", "category")),
    ),
    min_api_version="2.0",
    embedded_records=("company",),
)

TICKETS = EntityWithParts(
    name="tickets",
    parent_id_column="ticket_id",
    parts_field="ticket_parts",
    links=(
        LinkList("contacts", "contact_id"),
        LinkList("linked_objects", "linked_object_id", items_key="data", keep=("type", "category")),
    ),
    min_api_version="2.10",
    embedded_records=("ticket_type",),
    attribute_fields=("custom_attributes", TICKET_ATTRIBUTES),
)


# Ticket type attribute `data_type` -> column type of `ticket_attributes__<name>`. `files` (a
# list of file objects) is left to dlt (a child table).
TICKET_ATTRIBUTE_TYPES = {
    "string": "text",
    "list": "text",  # the chosen option's label
    "integer": "bigint",
    "decimal": "double",
    "boolean": "bool",
    "datetime": "timestamp",
}


def ticket_attribute_columns(
    ticket_types: list[dict], keys: AttributeKeys | None = None
) -> dict[str, Any]:
    """Column hints for `tickets.ticket_attributes__*` from the `/ticket_types` definitions,
    so an attribute's type does not depend on the first value seen (a decimal first seen as
    3 would otherwise become bigint, and 3.5 a variant column). With `keys`, each attribute's
    column is the one `keys` gives it (the oldest definition seen first)."""
    attributes = [
        attribute
        for ticket_type in ticket_types
        # real: {"type": "list", "data": [full attribute objects]} (the spec's key is wrong)
        for attribute in list_items(ticket_type.get("ticket_type_attributes"), "data")
        if attribute.get("name")
    ]
    if keys is not None:
        attributes.sort(key=lambda a: a.get("created_at") or 0)  # stable: API order for ties
        keys.see(str(a["name"]) for a in attributes)
    columns: dict[str, Any] = {}
    for attribute in attributes:
        data_type = TICKET_ATTRIBUTE_TYPES.get(str(attribute.get("data_type")))
        if data_type:
            name = str(attribute["name"])
            key = keys.column_for(name) if keys is not None else readable_key(name)
            columns.setdefault(f"{TICKET_ATTRIBUTES}__{key}", column_schema(data_type))
    return columns


def split_record(entity: EntityWithParts, record: Mapping[str, Any]) -> tuple[dict, list[dict]]:
    """One detail record -> (root row, part rows), nulls still in (`drop_nulls` before
    handing a row to dlt's normalizer; the Arrow path skips them itself). Does not mutate
    `record`."""
    record_id = str(record["id"])
    row = {key: value for key, value in record.items() if key != entity.parts_field}
    for field in entity.embedded_records:
        if isinstance(row.get(field), Mapping):
            row[field] = without_lists(row[field])
    for field in UNASSIGNED_AS_ZERO:
        if row.get(field) in (0, "0"):
            row[field] = None
    linked = row.get("linked_objects")
    if isinstance(linked, Mapping) and isinstance(linked.get("data"), list):
        # every nested table carries its parent's id (here `linked_objects__data`)
        row["linked_objects"] = {
            **linked,
            "data": with_parent_id(linked["data"], entity.parent_id_column, record_id),
        }
    for link in entity.links:
        row[link.field] = link_rows(
            list_items(record.get(link.field), link.key),
            entity.parent_id_column,
            record_id,
            link.id_column,
            keep=link.keep,
        )
    wrapper = record.get(entity.parts_field)
    parts = [
        part
        for part in list_items(wrapper, entity.parts_field)
        if (type(part) is dict or isinstance(part, Mapping)) and part.get("id") is not None
    ]
    total = wrapper.get("total_count") if isinstance(wrapper, Mapping) else None
    if not isinstance(total, int) or isinstance(total, bool):
        total = len(parts)
    row[PARTS_TOTAL_COUNT] = total
    row[PARTS_TRUNCATED] = total > len(parts)
    part_rows = [_part_row(entity, part, record_id) for part in parts]
    return row, part_rows


def _part_row(entity: EntityWithParts, part: Mapping[str, Any], record_id: str) -> dict:
    """A part with its record's id; its attachments carry the part's id."""
    part_id = str(part["id"])
    row = {**part, "id": part_id, entity.parent_id_column: record_id}
    if isinstance(part.get("attachments"), list):
        row["attachments"] = with_parent_id(part["attachments"], entity.part_id_column, part_id)
    return row


def with_parent_id(items: list[Any], column: str, parent_id: str) -> list[Any]:
    """Object items of a nested list, each with `column` = `parent_id` (copies)."""
    return [{**item, column: parent_id} if isinstance(item, Mapping) else item for item in items]


def without_lists(value: Mapping[str, Any]) -> dict[str, Any]:
    """`value` without its lists and list wrappers (`{"type": "tag.list", "tags": [...]}`)."""
    return {
        key: item
        for key, item in value.items()
        if not isinstance(item, list)
        and not (isinstance(item, Mapping) and any(isinstance(v, list) for v in item.values()))
    }


def drop_nulls(value: Mapping[str, Any]) -> dict[str, Any]:
    """Remove null values from objects, recursively (also objects inside lists).

    A null such as `"statistics": null` would otherwise make dlt announce an untyped
    `statistics` column; declared columns exist anyway, and an absent key loads as NULL.
    """
    return {key: _without_nulls(item) for key, item in value.items() if item is not None}


def _without_nulls(item: Any) -> Any:
    if isinstance(item, Mapping):
        return drop_nulls(item)
    if isinstance(item, list):
        return [_without_nulls(element) for element in item]
    return item
