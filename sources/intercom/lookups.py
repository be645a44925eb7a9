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

from sources.intercom.records import items_of, link_rows, list_items, to_row
from sources.intercom.schema import table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, LOOKUP_RESOURCES
from sources.intercom.workspace import Workspace

DATA_ATTRIBUTE_MODELS = ("contact", "company")


@dataclass(frozen=True)
class Lookup:
    """One list endpoint read in full, written with `replace`."""

    name: str
    path: str
    items_key: str
    # field holding a list of ids -> (column for this record's id, column for the listed id);
    # `a.b`: the list `b` inside the object `a`
    id_lists: dict[str, tuple[str, str]] = field(default_factory=dict)
    # field holding an embedded `{"type": "list", "data": [...]}` -> column carrying this
    # record's id in its rows
    nested_lists: dict[str, str] = field(default_factory=dict)

    def rows(self, body: dict | None) -> list[dict]:
        rows = []
        for item in items_of(body, self.items_key):
            row = dict(item)
            for path, (own, other) in self.id_lists.items():
                *objects, list_field = path.split(".")
                holder = _object_at(row, objects)
                if holder is not None and list_field in holder:
                    holder[list_field] = link_rows(holder[list_field] or [], own, row["id"], other)
            for list_field, own in self.nested_lists.items():
                if list_field in row:
                    row[list_field] = [
                        _nested_row(sub, own, str(row["id"]))
                        for sub in list_items(row[list_field], "data")
                    ]
            rows.append(to_row(row))
        return rows


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


def _replace_resource(
    name: str, gen: Callable[[], Iterator[list[dict]]], api_version: str, **hints: Any
) -> DltResource:
    return dlt.resource(
        gen,
        name=name,
        write_disposition="replace",
        columns=table_columns(name, api_version),
        file_format=LOADER_FILE_FORMAT,
        **hints,
    )


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
        def read() -> Iterator[list[dict]]:
            yield from read_lookup(workspace, name)

        return read

    keys: dict[str, Any] = {lookup.name: "id" for lookup in LOOKUPS}
    keys["data_attributes"] = ("model", "name")
    return [
        _replace_resource(name, reader(name), api_version, primary_key=keys[name])
        for name in LOOKUP_RESOURCES
    ]
