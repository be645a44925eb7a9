"""Generate `schema_data.json` (column types per table and API version) from the vendored
OpenAPI specs. Run `python -m sources.intercom.gen_schema` after updating a spec; a test
checks the committed file is what this script produces.

Rules (see schema.py for how the data is used):
- Each root table comes from one component schema (`TABLE_SCHEMAS`), walked property by
  property; `$ref` is resolved, `allOf` parts are merged, `oneOf`/`anyOf` object variants
  are merged. Variants that disagree: the scalar variant wins (`text` if scalars disagree);
  object/array values of such a field are left to dlt (flattened / child table). Never
  `json`: dlt 1.31 then stores scalar values in a variant column `<name>__v_text`.
- Nested objects are flattened with dlt's separator `__`; names go through dlt's
  snake_case naming so they match the columns dlt derives from the data.
- Not listed: arrays (child tables, or reshaped by the resource), free-form objects (no
  `properties`, or named in `FREE_FORM_NAMES`: custom attributes come from
  /data_attributes), objects reshaped into child rows (`RESHAPED_NAMES`), and relationship
  wrappers (`{"type": "tag.list", "tags": [...]}`,
  `{"type": "list", "data": [...], "total_count": …}`) whose real content is the array.
- Types: an id column (`schema.is_id_column`: `id`, `*_id`) → text, whatever the spec says
  (`admin_assignee_id` is an integer there, `admins.id` a string): any id joins any id;
  integer that is a duration (`DURATION_NAMES`) → bigint; integer or string with
  `format: date-time|timestamp`, or named `*_at` / in `TIMESTAMP_NAMES` → timestamp;
  other integer → bigint; number → double; boolean → bool; string → text;
  `NAME_TYPE_OVERRIDES` where the spec is known wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlt.common.normalizers.naming.snake_case import NamingConvention

from emulator.specs import load_spec
from sources.intercom.schema import is_id_column

OUTPUT = Path(__file__).with_name("schema_data.json")
# The specs whose types schema_data.json holds (2.10–2.15 map to 2.9: schema.spec_version_for).
SCHEMA_VERSIONS = ("2.9", "2.16")

# warehouse table -> component schema (the same names exist in 2.9 and 2.16)
TABLE_SCHEMAS = {
    "contacts": "contact",
    "companies": "company",
    "conversations": "conversation",
    "conversation_parts": "conversation_part",
    "tickets": "ticket",
    "ticket_parts": "ticket_part",
    "admins": "admin",
    "teams": "team",
    "tags": "tag",
    "segments": "segment",
    "data_attributes": "data_attribute",
    "ticket_types": "ticket_type",
    # content and settings lists (issue 21); a table whose schema a spec lacks is left out of
    # that version (its endpoint is newer: schema.table_columns falls back to the newest spec)
    "ticket_states": "ticket_state_detailed",
    "away_status_reasons": "away_status_reason",
    "brands": "brand",
    "office_hours_schedules": "office_hours_schedule",
    "content_snippets": "content_snippet",
    "internal_articles": "internal_article_list_item",
    "macros": "macro",
    "subscription_types": "subscription_type",
    "help_centers": "help_center",
    "help_center_collections": "collection",
    "help_center_sections": "section",
    "articles": "article",  # the detail: with `statistics`
    "news_items": "news_item",
    "newsfeeds": "newsfeed",
    # notes of the contacts and companies a run loads (notes.py)
    "contact_notes": "note",
    "company_notes": "note",
    # opt-in per-conversation reads (2.16; conversation_extras.py)
    "conversation_handling_events": "handling_event",
    "conversation_side_conversations": "side_conversation_summary",
    "admin_activity_logs": "activity_log",
    "activity_log_event_types": "activity_log_event_type_list",  # rows: see REAL_SHAPE_COLUMNS
    "calls": "call",
}
# Tables typed from an operation's inline response item (no component schema names it):
# table -> (path, method, the item's columns the table keeps).
RESPONSE_ITEM_TABLES = {
    # opt-in (call_transcripts.py): a searched call is a `call` plus `transcript_status`
    "call_transcripts": ("/calls/search", "post", ("conversation_id", "transcript_status")),
}
# Columns the resources add to a table (contract 3), typed here so all hints live in one file.
EXTRA_COLUMNS = {
    "conversation_parts": {"conversation_id": "text"},
    "ticket_parts": {"ticket_id": "text"},
    "contact_notes": {"contact_id": "text"},
    "company_notes": {"company_id": "text"},
    # no id in the API: a key built from the event (conversation_extras.event_keys)
    "conversation_handling_events": {"id": "text", "conversation_id": "text"},
    "conversation_side_conversations": {"id": "text", "conversation_id": "text"},
    "activity_log_event_types": {"event_type": "text"},
    "call_transcripts": {"call_id": "text"},  # the call's `id`
}
# Columns the resources rename (spec name -> table column).
RENAMED_COLUMNS = {"conversation_side_conversations": {"side_conversation_id": "id"}}
# Where real Intercom sends another shape than the spec (emulator/deviations.yaml): the columns
# that shape makes replace the spec's (None: the spec's column never gets a value).
REAL_SHAPE_COLUMNS: dict[str, dict[str, str | None]] = {
    # admin-avatar-object: `avatar` is {"image_url": …}, not a URL string
    "admins": {"avatar": None, "avatar__image_url": "text"},
    # a note's `author` is an admin
    "contact_notes": {"author__avatar": None, "author__avatar__image_url": "text"},
    "company_notes": {"author__avatar": None, "author__avatar__image_url": "text"},
    # one row per string of the list's `event_types` (content.py), not the list object
    "activity_log_event_types": {"type": None},
}
TIMESTAMP_NAMES = frozenset(
    {"waiting_since", "snoozed_until", "notified_at", "applied_at", "deleted_at"}
)
# Durations in seconds: integers, even where a spec marks them date-time.
DURATION_NAMES = frozenset({"median_time_to_reply", "handling_time", "adjusted_handling_time"})
DURATION_PREFIXES = ("time_to_",)
FREE_FORM_NAMES = frozenset({"custom_attributes", "metadata"})
# Tables whose `metadata` the spec types property by property (`activity_log_metadata`):
# walked like any object there (a conversation part's `metadata` stays free-form).
TYPED_METADATA_TABLES = frozenset({"admin_activity_logs"})
# Objects the resources reshape into child rows (one per locale: `lookups.translation_rows`).
RESHAPED_NAMES = frozenset({"translated_content"})
# Where the spec's type is wrong: Intercom's own /data_attributes lists monthly_spend as a
# float (155.5 happens); an integer hint would split such values into a variant column.
NAME_TYPE_OVERRIDES = {"monthly_spend": "double"}
# A relationship wrapper's non-array fields are bookkeeping about the array.
_WRAPPER_FIELDS = frozenset({"type", "url", "total_count", "has_more", "pages"})
# The two spellings of one instant (2.16 `datetime`): both load as a timestamp.
_DATETIME_SHAPES = {("string", "date-time"), ("integer", None)}
_MAX_DEPTH = 6  # guards against recursive schemas; real nesting is ≤ 4

_naming = NamingConvention()


class _Conflict(Exception):
    pass


class SpecWalker:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = spec["components"]["schemas"]

    def resolve(self, node: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
        """`node` with `$ref` and `allOf` folded in, and `oneOf`/`anyOf` reduced to one
        schema (see `_combine`); raises _Conflict on a reference cycle."""
        if depth > 20:
            raise _Conflict("reference cycle")
        node = dict(node)
        ref = node.pop("$ref", None)
        if ref is not None:
            target = self.resolve(self.schemas[ref.rsplit("/", 1)[-1]], depth + 1)
            node = {**target, **node}  # sibling keys (nullable, description) win
        for part in node.pop("allOf", []):
            node = _merge(node, self.resolve(part, depth + 1))
        for key in ("oneOf", "anyOf"):
            variants = node.pop(key, None)
            if variants:
                node = _merge(node, self._combine([self.resolve(v, depth + 1) for v in variants]))
        return node

    def _combine(self, variants: list[dict[str, Any]]) -> dict[str, Any]:
        scalars = [v for v in variants if _kind(v) == "scalar"]
        objects = [v for v in variants if _kind(v) == "object"]
        if scalars:
            # Declare the scalar: array/object values of the field then become a child table
            # or flattened columns as dlt infers them. (A `json` hint would instead push every
            # scalar value into a variant column `<name>__v_text` — seen with dlt 1.31.)
            shapes = {(v.get("type"), v.get("format")) for v in scalars}
            if len(shapes) == 1:
                return scalars[0]
            if shapes == _DATETIME_SHAPES:  # 2.16 `datetime`: ISO string or Unix seconds
                return {"x-dlt-type": "timestamp"}
            return {"x-dlt-type": "text"}
        merged: dict[str, Any] = {}
        for v in objects:
            merged = _merge(merged, v)
        if objects:
            return merged
        return variants[0] if variants else {}  # arrays only (not listed) or nothing

    def columns(
        self, schema_name: str, free_form: frozenset[str] = FREE_FORM_NAMES
    ) -> dict[str, str]:
        return self.columns_of(self.schemas[schema_name], free_form)

    def columns_of(
        self, node: Mapping[str, Any], free_form: frozenset[str] = FREE_FORM_NAMES
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        self._walk(self.resolve(node), (), out, 0, free_form)
        return out

    def _walk(
        self,
        node: Mapping[str, Any],
        path: tuple[str, ...],
        out: dict[str, str],
        depth: int,
        free_form: frozenset[str] = FREE_FORM_NAMES,
    ) -> None:
        for name, prop in (node.get("properties") or {}).items():
            if name in free_form or name in RESHAPED_NAMES:
                continue
            try:
                resolved = self.resolve(prop)
            except _Conflict:
                continue  # a reference cycle: leave the field to dlt
            col_path = (*path, name)
            kind = _kind(resolved)
            if kind == "object":
                props = resolved.get("properties")
                if not props or _is_wrapper(props) or depth >= _MAX_DEPTH:
                    continue
                self._walk(resolved, col_path, out, depth + 1, free_form)
            elif kind == "array" or kind == "null":
                continue
            else:
                column = _naming.PATH_SEPARATOR.join(
                    _naming.normalize_identifier(p) for p in col_path
                )
                out[column] = "text" if is_id_column(column) else _dlt_type(name, resolved)


def _kind(node: Mapping[str, Any]) -> str:
    if "x-dlt-type" in node:
        return "scalar"
    t = node.get("type")
    if t == "object" or (t is None and "properties" in node):
        return "object"
    if t == "array":
        return "array"
    if t in ("string", "integer", "number", "boolean"):
        return "scalar"
    if t is None and "additionalProperties" in node:
        return "object"
    return "null"  # untyped: nothing to declare


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**a, **{k: v for k, v in b.items() if k != "properties"}}
    props = {**(a.get("properties") or {}), **(b.get("properties") or {})}
    if props:
        merged["properties"] = props
    return merged


def _is_wrapper(props: Mapping[str, Any]) -> bool:
    """`{"type": "tag.list", "tags": [...]}`-style: one array plus bookkeeping fields."""
    arrays = [k for k, p in props.items() if p.get("type") == "array"]
    return len(arrays) == 1 and set(props) - set(arrays) <= _WRAPPER_FIELDS


def _is_duration(name: str) -> bool:
    return name in DURATION_NAMES or name.startswith(DURATION_PREFIXES)


def _dlt_type(name: str, node: Mapping[str, Any]) -> str:
    if name in NAME_TYPE_OVERRIDES:
        return NAME_TYPE_OVERRIDES[name]
    if "x-dlt-type" in node:
        return node["x-dlt-type"]
    t = node["type"]
    is_time = node.get("format") in ("date-time", "timestamp")
    if t == "integer":
        if _is_duration(name):
            return "bigint"
        if is_time or name.endswith("_at") or name in TIMESTAMP_NAMES:
            return "timestamp"
        return "bigint"
    if t == "number":
        return "double"
    if t == "boolean":
        return "bool"
    return "timestamp" if is_time else "text"


def generate() -> dict[str, Any]:
    versions: dict[str, dict[str, dict[str, str]]] = {}
    for version in SCHEMA_VERSIONS:
        spec = load_spec(version)
        walker = SpecWalker(spec)
        tables = {}
        for table, schema_name in TABLE_SCHEMAS.items():
            if schema_name not in walker.schemas:
                continue
            free_form = FREE_FORM_NAMES
            if table in TYPED_METADATA_TABLES:
                free_form = FREE_FORM_NAMES - {"metadata"}
            columns = walker.columns(schema_name, free_form)
            for name in RENAMED_COLUMNS.get(table, {}):
                columns.pop(name, None)
            columns.update(EXTRA_COLUMNS.get(table, {}))
            for name, data_type in REAL_SHAPE_COLUMNS.get(table, {}).items():
                if data_type is None:
                    columns.pop(name, None)
                else:
                    columns[name] = data_type
            tables[table] = dict(sorted(columns.items()))
        for table, (path, method, kept) in RESPONSE_ITEM_TABLES.items():
            item = _response_item(spec, path, method)
            if item is None:
                continue  # the version lacks the endpoint
            columns = {k: v for k, v in walker.columns_of(item).items() if k in kept}
            columns.update(EXTRA_COLUMNS.get(table, {}))
            tables[table] = dict(sorted(columns.items()))
        versions[version] = tables
    return {
        "_generated_by": "python -m sources.intercom.gen_schema (do not edit by hand)",
        "versions": versions,
    }


def _response_item(spec: Mapping[str, Any], path: str, method: str) -> Mapping[str, Any] | None:
    """The item schema of the `data` list an operation's 200 JSON answer holds."""
    operation = (spec.get("paths", {}).get(path) or {}).get(method)
    if operation is None:
        return None
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return body["properties"]["data"]["items"]


def render(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python -m sources.intercom.gen_schema", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
