"""Small lists read in full every run (replace): admins, teams, tags, segments,
data_attributes, ticket_types. Read through the run's `Workspace` (workspace.py), which other
resources share; `read_lookup` is also what the run calls before extracting, so that a lookup
out of retries is left out of the run and its table kept (contained.py).

Tables (contract 3; every nested table carries its parent's id, docs/tables-naming.md):
  admins(id, …) + admins__team_ids(admin_id, team_id)
    + admins__team_priority_level__{primary,secondary}_team_ids(admin_id, team_id)
  teams(id, …) + teams__admin_ids(team_id, admin_id)
    + teams__admin_priority_level__{primary,secondary}_admin_ids(team_id, admin_id)
  tags, segments(id, …)
  data_attributes(model, name, …)  — contact and company models, keyed model+name
    + data_attributes__options(data_attribute_model, data_attribute_name, value)
  ticket_types(id, …) + ticket_types__ticket_type_attributes(ticket_type_id, …)
    + ticket_types__ticket_type_attributes__input_options__list_options(
        ticket_type_id, ticket_type_attribute_id, …)
    + ticket_types__ticket_states(ticket_type_id, …)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.api_version import at_least
from sources.intercom.client import IntercomClient
from sources.intercom.records import items_of, link_rows, list_items, to_row
from sources.intercom.schema import is_id_column, table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, LOOKUP_RESOURCES, MAX_PAGE_SIZE
from sources.intercom.workspace import Workspace

DATA_ATTRIBUTE_MODELS = ("contact", "company")


@dataclass(frozen=True)
class Lookup:
    """One list endpoint read in full, written with `replace`."""

    name: str
    path: str
    items_key: str
    # field holding a list of ids (or of objects with `id`, bare or as `{"data": [...]}`) ->
    # (column for this record's id, column for the listed id); `a.b`: the list `b` inside `a`
    id_lists: dict[str, tuple[str, str]] = field(default_factory=dict)
    # field holding an embedded `{"type": "list", "data": [...]}` -> column carrying this
    # record's id in its rows
    nested_lists: dict[str, str] = field(default_factory=dict)
    # field holding a list of objects or scalars -> column carrying this record's id in its
    # rows (a scalar becomes `{<column>: id, "value": scalar}`)
    children: dict[str, str] = field(default_factory=dict)
    # field holding a list wrapper whose items are not under "data" -> their key (`tags`)
    list_keys: dict[str, str] = field(default_factory=dict)
    # field holding `{"type": …, "<locale>": {…}, …}` -> column carrying this record's id in
    # its rows, one per locale (`translated_content`)
    translations: dict[str, str] = field(default_factory=dict)
    # API versions that have the endpoint: from `min_version`, before `before_version`
    min_version: str | None = None
    before_version: str | None = None
    # "" one response; "cursor": `?starting_after=` pages; "numbered": `?page=` pages
    pages: str = ""

    def rows(self, body: dict | None) -> list[dict]:
        return self.rows_of(items_of(body, self.items_key))

    def rows_of(self, items: list[dict]) -> list[dict]:
        rows = []
        for item in items:
            row = dict(item)
            for path, (own, other) in self.id_lists.items():
                *objects, list_field = path.split(".")
                holder = _object_at(row, objects)
                if holder is not None and list_field in holder:
                    listed = list_items(holder[list_field], self.list_keys.get(path, "data"))
                    holder[list_field] = link_rows(listed, own, row["id"], other)
            for list_field, own in self.nested_lists.items():
                if list_field in row:
                    row[list_field] = [
                        _nested_row(sub, own, str(row["id"]))
                        for sub in list_items(row[list_field], "data")
                    ]
            for list_field, own in self.children.items():
                if isinstance(row.get(list_field), list):
                    row[list_field] = child_rows(row[list_field], own, str(row["id"]))
            for object_field, own in self.translations.items():
                if object_field in row:
                    row[object_field] = translation_rows(row[object_field], own, str(row["id"]))
            rows.append(to_row(row))
        return rows

    def available_in(self, api_version: str) -> bool:
        """Whether `api_version` has this endpoint."""
        if self.min_version is not None and not at_least(api_version, self.min_version):
            return False
        return self.before_version is None or not at_least(api_version, self.before_version)

    def read(self, client: IntercomClient) -> Iterator[list[dict]]:
        """Every item, one list of rows per page."""
        if self.pages == "cursor":
            pages = client.iter_cursor_pages(self.path, items_key=self.items_key)
        elif self.pages == "numbered":
            pages = client.iter_numbered_pages(
                self.path, items_key=self.items_key, per_page=MAX_PAGE_SIZE
            )
        else:
            yield self.rows(client.get(self.path))
            return
        for items in pages:
            yield self.rows_of(items)


def child_rows(items: list[Any], own: str, parent_id: str) -> list[dict]:
    """A record's list as nested rows that carry its id (`own`); scalars as `value`. Ids as
    text and `*_at` as timestamps: nested tables are typed from the data alone."""
    return [
        to_row({**_text_ids(item), own: parent_id})
        if isinstance(item, dict)
        else {own: parent_id, "value": item}
        for item in items
    ]


def translation_rows(value: Any, own: str, parent_id: str) -> list[dict]:
    """`{"type": "…_translated_content", "en": {…}, "fr": {…}}` as one row per locale."""
    if not isinstance(value, dict):
        return []
    return [
        to_row({**_text_ids(content), own: parent_id, "locale": locale})
        for locale, content in value.items()
        if locale != "type" and isinstance(content, dict)
    ]


def _text_ids(item: dict) -> dict:
    return {
        k: str(v) if is_id_column(k) and isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in item.items()
    }


def _object_at(row: dict, path: list[str]) -> dict | None:
    """The object at `path` in `row`, copied into `row` so it can be changed; None if absent."""
    holder = row
    for key in path:
        value = holder.get(key)
        if not isinstance(value, dict):
            return None
        holder[key] = value = dict(value)
        holder = value
    return holder


def _nested_row(sub: dict, own: str, parent_id: str) -> dict:
    """A ticket type's attribute or state with its type's id; an attribute's list options
    with both ids (`input_options.list_options`)."""
    row = {**sub, own: parent_id}
    options = _object_at(row, ["input_options"])
    if options is not None and isinstance(options.get("list_options"), list):
        attribute_id = str(sub.get("id")) if sub.get("id") is not None else None
        options["list_options"] = [
            {**option, own: parent_id, "ticket_type_attribute_id": attribute_id}
            if isinstance(option, dict)
            else option
            for option in options["list_options"]
        ]
    return to_row(row)


def data_attribute_row(item: dict, model: str) -> dict:
    """A data attribute; its `options` (strings) as rows with the attribute's key."""
    row = dict(item)
    row.setdefault("model", model)
    if isinstance(row.get("options"), list):
        row["options"] = [
            {
                "data_attribute_model": row["model"],
                "data_attribute_name": row.get("name"),
                "value": o,
            }
            for o in row["options"]
        ]
    return to_row(row)


LOOKUPS = (
    Lookup(
        "admins",
        "/admins",
        "admins",
        id_lists={
            "team_ids": ("admin_id", "team_id"),
            "team_priority_level.primary_team_ids": ("admin_id", "team_id"),
            "team_priority_level.secondary_team_ids": ("admin_id", "team_id"),
        },
    ),
    Lookup(
        "teams",
        "/teams",
        "teams",
        id_lists={
            "admin_ids": ("team_id", "admin_id"),
            "admin_priority_level.primary_admin_ids": ("team_id", "admin_id"),
            "admin_priority_level.secondary_admin_ids": ("team_id", "admin_id"),
        },
    ),
    Lookup("tags", "/tags", "data"),
    Lookup("segments", "/segments", "segments"),
    Lookup(
        "ticket_types",
        "/ticket_types",
        "data",
        nested_lists={
            "ticket_type_attributes": "ticket_type_id",
            "ticket_states": "ticket_type_id",
        },
    ),
)


def replace_resource(
    name: str,
    gen: Callable[[], Iterator[Any]],
    api_version: str,
    *,
    variants: Callable[[DltResource], None] | None = None,
    **hints: Any,
) -> DltResource:
    """`variants`: declares the resource's table variants (other tables it writes) before its
    own columns, which a variant would otherwise copy."""
    if variants is None:
        return dlt.resource(
            gen,
            name=name,
            write_disposition="replace",
            columns=table_columns(name, api_version),
            file_format=LOADER_FILE_FORMAT,
            **hints,
        )
    resource = dlt.resource(
        gen, name=name, write_disposition="replace", file_format=LOADER_FILE_FORMAT, **hints
    )
    variants(resource)
    resource.apply_hints(columns=table_columns(name, api_version))
    return resource


_LOOKUPS_BY_NAME = {lookup.name: lookup for lookup in LOOKUPS}


def read_lookup(workspace: Workspace, name: str) -> list[list[dict]]:
    """The rows of lookup `name`, one list per page read (requests: once per run)."""
    if name == "data_attributes":
        return [
            [data_attribute_row(item, model) for item in workspace.data_attributes(model)]
            for model in DATA_ATTRIBUTE_MODELS
        ]
    lookup = _LOOKUPS_BY_NAME[name]
    return [lookup.rows(workspace.get(lookup.path))]


def lookup_resources(workspace: Workspace) -> list[DltResource]:
    """The six lookup resources, in the order of settings.LOOKUP_RESOURCES."""
    api_version = workspace.api_version

    def reader(name: str) -> Callable[[], Iterator[list[dict]]]:
        workspace.add_replaced(name, lambda: read_lookup(workspace, name))

        def read() -> Iterator[list[dict]]:
            yield from workspace.pages(name)

        return read

    keys: dict[str, Any] = {lookup.name: "id" for lookup in LOOKUPS}
    keys["data_attributes"] = ("model", "name")
    return [
        replace_resource(name, reader(name), api_version, primary_key=keys[name])
        for name in LOOKUP_RESOURCES
    ]
