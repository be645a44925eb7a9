"""Validate emulator responses against the vendored official OpenAPI specs (2.9, 2.15, 2.16).

The spec is OpenAPI 3.0: `nullable: true` is translated to JSON Schema, `$ref`s resolve against
the spec's own `components`. Where real Intercom disagrees with the published spec, the
deviations file `emulator/deviations.yaml` lists it with its evidence and the `relax`
operations that loosen exactly that point; nothing else is relaxed here.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import jsonschema

from emulator.specs import load_deviations, load_spec

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


def deviations() -> list[dict[str, Any]]:
    """The entries of emulator/deviations.yaml (each deviation from the spec, with evidence)."""
    return load_deviations()["deviations"]


def _applies(entry: dict[str, Any], version: str) -> bool:
    return version in entry.get("versions", [version])


def _target(schemas: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    """The properties the operation edits: the component's, or those of a nested property."""
    props = _props(schemas[op["schema"]])
    for step in op.get("at", []):
        props = _props(props[step])
    return props


def _apply(schemas: dict[str, Any], op: dict[str, Any], where: str) -> None:
    """One `relax` operation of the deviations file (see its header); an operation that finds
    nothing to relax raises, so a stale entry cannot hide."""
    kind = op["op"]
    if kind == "response":
        return  # read by response_schema
    if kind == "free_values" and "property" not in op:
        if op["schema"] in schemas:  # a shared component only some versions define
            schemas[op["schema"]].pop("additionalProperties", None)
        return
    props = _target(schemas, op)
    if kind == "rename":
        if op["to"] in props:
            return  # this version's schema already has the real key
        props[op["to"]] = props.pop(op["from"])
    elif kind == "nullable":
        names = [n for n in props if n != "type"] if op["properties"] == "*" else op["properties"]
        for name in names:
            if name in props:
                props[name] = _nullable(props[name])
    elif kind == "replace":
        props[op["property"]] = op["with"]
    elif kind == "any_of":
        props[op["property"]] = {"anyOf": [props[op["property"]], op["with"]]}
    elif kind == "enum_add":
        prop = props[op["property"]]
        if "anyOf" in prop and "enum" not in prop:
            prop = prop["anyOf"][0]
        if "enum" in prop:  # (a version without the enum accepts any value already)
            prop["enum"] = [*prop["enum"], *(v for v in op["values"] if v not in prop["enum"])]
    elif kind == "free_values":
        props[op["property"]].pop("additionalProperties", None)
    else:
        raise ValueError(f"deviations.yaml {where}: unknown op {kind!r}")


def _relax(version: str, schemas: dict[str, Any]) -> None:
    """Apply every relaxation the deviations file lists for `version`."""
    for entry in deviations():
        if _applies(entry, version):
            for op in entry["relax"]:
                _apply(schemas, op, entry["id"])


def _response_overrides(version: str) -> dict[tuple[str, str], str]:
    """(method, normalised path) -> component replacing the spec's response schema."""
    return {
        (op["method"], _normalise(op["path"])): op["schema"]
        for entry in deviations()
        if _applies(entry, version)
        for op in entry["relax"]
        if op["op"] == "response"
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
    override = _response_overrides(version).get(key[1:])
    if override is not None:
        return {"$ref": f"#/components/schemas/{override}"}
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
