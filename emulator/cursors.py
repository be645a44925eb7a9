"""Opaque pagination cursors shaped like Intercom's.

Intercom's `starting_after` is base64 of a compact JSON array `[<sort value>, "<last id>", <next page>]`,
e.g. `WzAsIjVlNzZl…IsMl0=` -> `[0,"5e76e5c8b88eb7d2a6dbc1d5",2]`. Clients must treat it as
opaque; we mimic the shape so that a client which (wrongly) parses it would still work against
the emulator exactly as against Intercom, and reject anything we did not mint.
"""

from __future__ import annotations

import base64
import binascii
import json

SortValue = int | float | str | None


def encode_cursor(sort_value: SortValue, last_id: str, page: int) -> str:
    """Return base64 (standard alphabet, padded) of the compact JSON `[sort_value, last_id, page]`.

    `page` is the number of the page the cursor leads to (Intercom puts N+1 in page N's `next`).
    """
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be a positive int, got {page!r}")
    if not isinstance(last_id, str):
        raise ValueError(f"last_id must be a str, got {type(last_id).__name__}")
    raw = json.dumps([sort_value, last_id, page], separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode("ascii")


def decode_cursor(cursor: str) -> tuple[SortValue, str, int]:
    """Inverse of `encode_cursor`; raises `ValueError` on anything that is not one of our cursors.

    Strict on purpose: garbage, truncated, URL-mangled (`+` turned into a space) or
    re-encoded cursors are refused, so the HTTP layer can answer 400 `parameter_invalid`.
    """
    if not isinstance(cursor, str) or not cursor:
        raise ValueError("cursor must be a non-empty string")
    try:
        raw = base64.b64decode(cursor.encode("ascii"), validate=True)
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValueError(f"malformed cursor: {exc}") from None
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError("malformed cursor: not a 3-element array")
    sort_value, last_id, page = value
    if isinstance(sort_value, bool | list | dict):
        raise ValueError("malformed cursor: bad sort value")
    if not isinstance(last_id, str) or not last_id:
        raise ValueError("malformed cursor: bad id")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError("malformed cursor: bad page")
    return sort_value, last_id, page
