"""Definitions of conversation custom attributes, so their columns are typed from the
workspace's own declarations rather than from the first values seen.

2.16 lists them at `GET /conversations/attributes` (`conversation_attribute`: data types
string, list, integer, decimal, boolean, datetime, relationship, files) and answers 422 to
`/data_attributes?model=conversation`; older versions list them there (`data_attribute`).
Both become `/data_attributes`-style definitions for `schema.custom_attribute_columns`, so the
columns are the same on every version (a decimal `12` is a double, never a bigint first).
"""

from __future__ import annotations

from typing import Any

from sources.intercom.api_version import at_least
from sources.intercom.client import IntercomClient
from sources.intercom.records import items_of

ATTRIBUTES_MIN_API_VERSION = "2.16"
# 2.16 `conversation_attribute.data_type` -> the `/data_attributes` data type of equal meaning
# (relationship and files are left out: not a scalar column).
_AS_DATA_ATTRIBUTE_TYPE = {
    "string": "string",
    "list": "string",  # the chosen option's label
    "integer": "integer",
    "decimal": "float",
    "boolean": "boolean",
    "datetime": "date",
}


def conversation_attribute_definitions(client: IntercomClient) -> list[dict[str, Any]]:
    """The conversation custom attributes as `/data_attributes`-style definitions (archived
    included: old values may still be there)."""
    params = {"include_archived": "true"}
    if not at_least(client.api_version, ATTRIBUTES_MIN_API_VERSION):
        body = client.get("/data_attributes", params={**params, "model": "conversation"})
        return [d for d in items_of(body, "data") if d.get("custom")]
    return as_definitions(items_of(client.get("/conversations/attributes", params=params), "data"))


def as_definitions(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """2.16 `conversation_attribute` items as `/data_attributes`-style definitions."""
    return [
        {
            "name": item.get("name"),
            "data_type": _AS_DATA_ATTRIBUTE_TYPE.get(str(item.get("data_type"))),
            "created_at": item.get("created_at"),
            "custom": True,  # every conversation attribute listed there is the workspace's own
        }
        for item in items
    ]
