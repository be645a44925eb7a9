"""Validate emulator responses against the vendored official OpenAPI specs (2.9, 2.16).

The spec is OpenAPI 3.0: `nullable: true` is translated to JSON Schema, `$ref`s resolve against
the spec's own `components`. Where the published spec is known to disagree with what Intercom
really returns (API-NOTES §7.9), `KNOWN_SPEC_ERRORS` relaxes exactly that point; each entry is
listed in emulator/README.md's deviations table.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import jsonschema

from emulator.specs import load_spec

_PARAM = re.compile(r"\{[^}]+\}")


def _nullable_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` → JSON Schema (`anyOf [..., {type: null}]`)."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_jsonschema(v) for k, v in node.items() if k != "example"}
    if out.pop("nullable", False):
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _props(schema: dict[str, Any]) -> dict[str, Any]:
    """The `properties` of a (possibly nullable-wrapped) object schema."""
    if "anyOf" in schema and "properties" not in schema:
        schema = schema["anyOf"][0]
    return schema["properties"]


def _relax(version: str, schemas: dict[str, Any]) -> None:
    """Apply KNOWN_SPEC_ERRORS to the (already translated) component schemas."""
    # 1. /contacts/{id}/companies returns the array under `data`, not `companies`.
    attached = _props(schemas["contact_attached_companies"])
    attached["data"] = attached.pop("companies")
    # 2. 2.9 /ticket_types returns `data`, not `ticket_types` (fixed in later specs).
    types = _props(schemas["ticket_type_list"])
    if "ticket_types" in types:
        types["data"] = types.pop("ticket_types")
    # 3. Statistics that never happened are null in real data; the spec types them integer.
    stats = _props(schemas["conversation_statistics"])
    for name, prop in stats.items():
        if name != "type":
            stats[name] = _nullable(prop)
    # 4. Page-number lists (GET /companies, /contacts/{id}/notes) have a URL `pages.next`
    #    (pages_link, API-NOTES §2 family C); their schemas point at cursor_pages.
    page_link = {"$ref": "#/components/schemas/pages_link"}
    for name in ("company_list", "note_list"):
        props = _props(schemas[name])
        props["pages"] = {"anyOf": [props["pages"], page_link]}
    # 5. Custom attributes hold numbers, booleans and nulls (the specs' own examples do); the
    #    company schema says string-only, 2.16's conversation one string/integer/datetime.
    _props(schemas["company"])["custom_attributes"].pop("additionalProperties", None)
    if "custom_attributes" in schemas:
        schemas["custom_attributes"].pop("additionalProperties", None)
    # 6. Nullable in reality, not in the schema: a ticket that is not snoozed has
    #    `snoozed_until: null` (the 2.16 field description says so); a rating without a remark
    #    has `remark: null` (observed in exports; UNCONFIRMED by the spec).
    ticket = _props(schemas["ticket"])
    if "snoozed_until" in ticket:
        ticket["snoozed_until"] = _nullable(ticket["snoozed_until"])
    rating = _props(schemas["conversation_rating"])
    rating["remark"] = _nullable(rating["remark"])
    # 7. Ticket parts written by the customer have `author.type: "user"`; the 2.9 enum lacks it
    #    (2.16 added it).
    author_type = _props(schemas["ticket_part_author"])["type"]
    if "user" not in author_type.get("enum", ["user"]):
        author_type["enum"] = [*author_type["enum"], "user"]
    # 8. Family A/B `pages.next` carries `page` + `starting_after` (spec: per_page +
    #    starting_after) — no change needed: extra keys are allowed by the schema.


# (version, method, normalised path) → component schema replacing the spec's response schema.
KNOWN_SPEC_ERRORS: dict[tuple[str, str, str], str] = {
    # 2.9 points GET /conversations at `paginated_response` (`data`); reality is
    # `conversation.list` with `conversations` (Intercom-OpenAPI#166, fixed in #213).
    ("2.9", "GET", "/conversations"): "conversation_list",
}


@cache
def _root(version: str) -> dict[str, Any]:
    spec = load_spec(version)
    schemas = _nullable_to_jsonschema(copy.deepcopy(spec["components"]["schemas"]))
    _relax(version, schemas)
    return {"components": {"schemas": schemas}}


def _normalise(path: str) -> str:
    return _PARAM.sub("{}", path)


def response_schema(version: str, method: str, path_template: str, status: int = 200) -> Any:
    """The (translated) response schema of an operation in the official spec."""
    key = (version, method.upper(), _normalise(path_template))
    if key in KNOWN_SPEC_ERRORS:
        return {"$ref": f"#/components/schemas/{KNOWN_SPEC_ERRORS[key]}"}
    spec = load_spec(version)
    for path, item in spec["paths"].items():
        if _normalise(path) == key[2] and method.lower() in item:
            responses = item[method.lower()]["responses"]
            content = responses[str(status)]["content"]["application/json"]
            return _nullable_to_jsonschema(content["schema"])
    raise KeyError(f"{method} {path_template} is not in the {version} spec")


def component_errors(version: str, name: str, body: Any) -> list[str]:
    """Violations of `body` against one component schema (e.g. "error")."""
    schema = {**_root(version), "allOf": [{"$ref": f"#/components/schemas/{name}"}]}
    return [_describe(e) for e in jsonschema.Draft7Validator(schema).iter_errors(body)]


def validation_errors(
    version: str, method: str, path_template: str, body: Any, status: int = 200
) -> list[str]:
    """Every schema violation of `body` (empty when it conforms)."""
    schema = {**_root(version), "allOf": [response_schema(version, method, path_template, status)]}
    validator = jsonschema.Draft7Validator(schema)
    return [_describe(error) for error in validator.iter_errors(body)]


def _describe(error: jsonschema.ValidationError) -> str:
    """The deepest reason of an error (anyOf/oneOf failures otherwise only say 'not valid')."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), len(e.schema_path)))
    return f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message[-200:]}"
