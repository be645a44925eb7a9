"""Small pure helpers that turn Intercom JSON into warehouse rows (no HTTP, no dlt state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

# Keys that wrap a list in Intercom's embedded list objects, besides `data`:
# {"type": "tag.list", "tags": [...]}, {"type": "segment.list", "segments": [...]}, …
_WRAPPER_META = frozenset({"type", "url", "total_count", "has_more", "pages"})


def list_items(value: Any, items_key: str | None = None) -> list[dict]:
    """The items of an embedded list object (`{"type": "list", "data": [...]}`,
    `{"type": "tag.list", "tags": [...]}`) or of a bare list; [] for None/empty."""
    if value is None:
        return []
    kind = type(value)  # exact type checks first: ABC isinstance checks are slow
    if kind is list:
        return value
    if kind is not dict:
        if isinstance(value, list):
            return value
        if not isinstance(value, Mapping):
            return []
    for key in (items_key, "data"):
        items = value.get(key) if key else None
        if isinstance(items, list):
            return items
    lists = [v for k, v in value.items() if k not in _WRAPPER_META and isinstance(v, list)]
    return lists[0] if len(lists) == 1 else []


def link_rows(
    items: Iterable[Any], parent_column: str, parent_id: Any, child_column: str
) -> list[dict]:
    """Link-table rows `{parent_column: parent_id, child_column: <item id>}` (ids as strings,
    duplicates dropped, order kept). Items may be objects with `id` or bare ids."""
    rows: list[dict] = []
    if not items:
        return rows
    seen: set[str] = set()
    parent = str(parent_id)
    for item in items:
        # (`type(...) is dict` first: an ABC isinstance check is slow, and this runs per link)
        is_object = type(item) is dict or isinstance(item, Mapping)
        child = item.get("id") if is_object else item
        if child is None:
            continue
        child = str(child)
        if child in seen:
            continue
        seen.add(child)
        rows.append({parent_column: parent, child_column: child})
    return rows


def utc(ts: Any) -> Any:
    """Unix seconds -> timezone-aware UTC datetime; anything else unchanged — a number beyond
    Python's calendar (year 9999) too, left for dlt to load as it is, not a failed sync."""
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        try:
            return dt.datetime.fromtimestamp(ts, dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            return ts
    return ts


def timestamps_to_utc(record: dict, suffixes: tuple[str, ...] = ("_at",)) -> dict:
    """In place: every numeric value under a key ending in `suffixes`, in the record or its
    nested objects (not lists), becomes a UTC datetime — so a timestamp field the schema does
    not know yet still lands as a timestamp, not a bigint."""
    for key, value in record.items():
        if isinstance(value, dict):
            timestamps_to_utc(value, suffixes)
        elif key.endswith(suffixes):
            record[key] = utc(value)
    return record


# Objects whose values are typed elsewhere (custom attributes: from their definitions), so a
# name that happens to end in `_at` must not turn an integer attribute into a timestamp.
TYPED_ELSEWHERE = frozenset({"custom_attributes"})


def to_row(record: dict, suffixes: tuple[str, ...] = ("_at",), *, convert: bool = True) -> dict:
    """In place: `timestamps_to_utc` (except inside `TYPED_ELSEWHERE` objects), and drop null
    values (in nested objects too).

    A null carries nothing a missing key does not (the loader writes NULL for absent
    columns), and an always-null field the schema does not declare would only make dlt warn
    that it cannot type it.
    """
    for key in [k for k, v in record.items() if v is None]:
        del record[key]
    for key, value in record.items():
        if isinstance(value, dict):
            to_row(value, suffixes, convert=convert and key not in TYPED_ELSEWHERE)
        elif convert and key.endswith(suffixes):
            record[key] = utc(value)
    return record


def items_of(body: Mapping[str, Any] | None, items_key: str) -> list[dict]:
    """Items of an unpaginated list response: `items_key`, else `data` (API-NOTES §7.9)."""
    if not body:
        return []
    return list_items(body, items_key)
