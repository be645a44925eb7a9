"""Small pure helpers that turn Intercom JSON into warehouse rows (no HTTP, no dlt state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sources.intercom.errors import UnexpectedShapeError


def list_items(value: Any, items_key: str) -> list[dict]:
    """The items of a list object under its real key (`{"type": "list", "data": [...]}`:
    "data"; `{"type": "admin.list", "admins": [...]}`: "admins"), or of a bare list; [] for
    None, {} or an object without any list. A list under another key raises
    `UnexpectedShapeError`: which list lands is never guessed (issue 17)."""
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
    items = value.get(items_key)
    if type(items) is list:
        return items
    others = sorted(k for k, v in value.items() if isinstance(v, list))
    if items is not None or others:
        raise UnexpectedShapeError(
            f"expected the list under {items_key!r}, found keys {sorted(value)}: Intercom "
            "changed the shape of this list; report it (nothing was loaded from it)"
        )
    return []


def link_rows(
    items: Iterable[Any],
    parent_column: str,
    parent_id: Any,
    child_column: str,
    *,
    keep: tuple[str, ...] = (),
) -> list[dict]:
    """Link-table rows `{parent_column: parent_id, child_column: <item id>}` (ids as strings,
    duplicates dropped, order kept). Items may be objects with `id` or bare ids. `keep`: item
    fields copied as `<child column without _id>_<field>` (a linked object's `type`)."""
    prefix = child_column.removesuffix("_id")
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
        row = {parent_column: parent, child_column: child}
        for name in keep:
            if is_object and item.get(name) is not None:
                row[f"{prefix}_{name}"] = item[name]
        rows.append(row)
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
    """Items of an unpaginated list response, under its real key (API-NOTES §7.9)."""
    if not body:
        return []
    return list_items(body, items_key)


def has_more_pages(body: Mapping[str, Any]) -> bool:
    """Whether a page-numbered reply (family C) has pages after this one."""
    pages = body.get("pages")
    if not isinstance(pages, dict):
        return False
    if pages.get("next"):
        return True
    total, page = pages.get("total_pages"), pages.get("page")
    return isinstance(total, int) and isinstance(page, int) and page < total
