"""Pagination families A/B (cursor) and C (page number), independent of any endpoint.

Cursor pagination walks an *ordering*: a list of `(key, id)` pairs sorted ascending, served
ascending or descending. A cursor holds the last served `(sort value, id)` and the next page
number (`emulator.cursors`), so following cursors visits every record exactly once while nothing
changes, and a record whose sort value changes mid-run moves — as in Intercom.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from emulator.cursors import decode_cursor, encode_cursor
from emulator.errors import parameter_invalid

Direction = Literal["asc", "desc"]
Pair = tuple[Any, str]


def nullable_key(value: Any) -> tuple:
    """Sort key for values that may be None (nulls first ascending), comparable with each other."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


@dataclass(frozen=True)
class Ordering:
    """Sorted `(key, id)` pairs plus how a cursor's raw sort value maps to a key."""

    pairs: Sequence[Pair]
    to_key: Callable[[Any], Any]
    to_value: Callable[[Any], Any]  # key → the raw sort value written into cursors


def identity(value: Any) -> Any:
    return value


def scan(
    ordering: Ordering,
    direction: Direction,
    after: tuple[Any, str] | None,
    index_range: tuple[int, int] | None = None,
) -> Iterator[Pair]:
    """Pairs in serving order, starting strictly after the cursor position `after`."""
    pairs = ordering.pairs
    lo, hi = index_range or (0, len(pairs))
    position = None
    if after is not None:
        target = (ordering.to_key(after[0]), after[1])
        search = bisect.bisect_right if direction == "asc" else bisect.bisect_left
        try:
            position = search(pairs, target)
        except TypeError:  # a cursor minted for another sort field
            raise parameter_invalid("starting_after is invalid") from None
    if direction == "asc":
        start = lo if position is None else max(lo, position)
        for i in range(start, hi):
            yield pairs[i]
    else:
        end = hi if position is None else min(hi, position)
        for i in range(end - 1, lo - 1, -1):
            yield pairs[i]


@dataclass
class CursorPage:
    pairs: list[Pair]  # the served (key, id) pairs, in order
    page: int
    per_page: int
    next_cursor: str | None


def read_cursor(cursor: str | None) -> tuple[tuple[Any, str] | None, int]:
    """`(after, page)` from a client cursor; garbage → 400 parameter_invalid."""
    if cursor is None or cursor == "":
        return None, 1
    if not isinstance(cursor, str):
        raise parameter_invalid("starting_after must be a string")
    try:
        sort_value, last_id, page = decode_cursor(cursor)
    except ValueError:
        raise parameter_invalid("starting_after is invalid") from None
    return (sort_value, last_id), page


def cursor_page(
    ordering: Ordering,
    direction: Direction,
    cursor: str | None,
    per_page: int,
    accept: Callable[[str], bool],
    index_range: tuple[int, int] | None = None,
) -> CursorPage:
    """Collect one page of accepted ids after `cursor`, looking one record ahead for `next`."""
    after, page = read_cursor(cursor)
    served: list[Pair] = []
    has_more = False
    for pair in scan(ordering, direction, after, index_range):
        if not accept(pair[1]):
            continue
        if len(served) == per_page:
            has_more = True
            break
        served.append(pair)
    next_cursor = None
    if has_more:
        key, last_id = served[-1]
        next_cursor = encode_cursor(ordering.to_value(key), last_id, page + 1)
    return CursorPage(served, page, per_page, next_cursor)


def cursor_pages_object(page: CursorPage, total_count: int) -> dict[str, Any]:
    """The `pages` object of families A/B; `next` is omitted on the last page."""
    pages: dict[str, Any] = {
        "type": "pages",
        "page": page.page,
        "per_page": page.per_page,
        "total_pages": max(1, math.ceil(total_count / page.per_page)) if total_count else 0,
    }
    if page.next_cursor is not None:
        pages["next"] = {"page": page.page + 1, "starting_after": page.next_cursor}
    return pages


@dataclass
class NumberedPage:
    start: int  # offset of the first item
    stop: int
    page: int
    per_page: int
    total_pages: int


def numbered_page(total: int, page: int, per_page: int) -> NumberedPage:
    """Family C: `page` (1-based) of `per_page` items out of `total` servable items."""
    total_pages = math.ceil(total / per_page) if total else 0
    start = min((page - 1) * per_page, total)
    return NumberedPage(start, min(start + per_page, total), page, per_page, total_pages)


def numbered_pages_object(page: NumberedPage, next_url: str | None) -> dict[str, Any]:
    """The `pages` object of family C: `next` is a URL, or null on the last page."""
    return {
        "type": "pages",
        "next": next_url if page.page < page.total_pages else None,
        "page": page.page,
        "per_page": page.per_page,
        "total_pages": page.total_pages,
    }


def one_page(matches: list[Any]) -> dict[str, Any]:
    """The `pages` of a content search: every match on one page (the specs' examples show one
    page and no `next`; how real searches page is not documented)."""
    return {
        "type": "pages",
        "page": 1,
        "per_page": len(matches),
        "total_pages": min(len(matches), 1),
    }
