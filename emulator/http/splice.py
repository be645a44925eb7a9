"""Rendering a packed record by re-serialising only its tail.

A record in `json`/`zjson` storage is the orjson text of its dict, and the store hands out its
*public text*: the record without its internal (`_`) keys, which every renderer drops anyway
(`Store.get_public_text`). The 2.16 renders of list records change only keys near the end of
the canonical key order: a contact's embedded lists and `merge_history`, the parts shell of a
conversation or ticket. So the render is the public text up to the first key that may change
(the *anchor*), followed by the render of the remaining keys — parsing and re-serialising
about a third of a contact instead of all of it, and the same bytes as
`orjson.dumps(render(record))`, because:

- orjson writes a dict as `{"k":v,"k":v}` with nothing between members, so the text of a dict
  is the text of its first keys followed by the text of the others, and `dumps(loads(t)) == t`
  for text orjson wrote;
- the anchor found is a key of the *top-level* object: `,"` cannot occur inside a JSON string
  (a quote in a string is escaped) so the match is a key, and `{` + the rest parses as one
  object only if that key sits at depth 1 (deeper, the rest closes more objects than it opens);
- the renderers given here treat each top-level key on its own (drop it, or rebuild its value
  alone), so rendering the tail alone gives the tail of the full render;
- the head must not hold anything the renderer changes: the caller names byte markers that must
  not occur in it at all (conservatively: at any depth), e.g. `"has_more"` for a contact's
  embedded lists.
A renderer that only drops internal keys (2.16 companies) needs no anchor: the public text is
its render.

Anything unexpected (no anchor, a marker in the head, the anchor nested) returns None and the
caller takes the full parse + render path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson


@dataclass(frozen=True)
class TailSplice:
    """Where a renderer's changes start in a record's text, and what its head must not hold."""

    # The first top-level key whose value the renderer may change; None: the renderer only
    # drops internal keys, so the public text is served as it is.
    anchor: str | None
    forbidden: tuple[bytes, ...] = ()  # markers the head must not contain

    @cached_property
    def marker(self) -> bytes:
        return b',"' + (self.anchor or "").encode() + b'":'


def render_spliced(
    text: bytes, splice: TailSplice, render_tail: Callable[[dict[str, Any]], dict[str, Any]]
) -> bytes | None:
    """`orjson.dumps(render(record))` for the record whose public text (no internal keys) is
    `text`, with only the keys from `splice.anchor` on parsed and rendered (`render_tail`);
    None when the shortcut does not apply."""
    if splice.anchor is None:
        return _unchanged(text, splice)
    cut = text.rfind(splice.marker)
    if cut <= 0:
        return None
    head = _unchanged(text[:cut], splice)
    if head is None:
        return None
    try:
        tail = orjson.loads(b"{" + text[cut + 1 :])
    except orjson.JSONDecodeError:
        return None  # the anchor matched a nested key
    rendered = render_tail(tail)
    if not rendered:
        return head + b"}"
    return head + b"," + orjson.dumps(rendered)[1:]


def _unchanged(head: bytes, splice: TailSplice) -> bytes | None:
    """`head` if it holds none of the splice's forbidden markers, else None."""
    for marker in splice.forbidden:
        if marker in head:
            return None
    return head


_OWNER_ID = b',"owner_id":'
_OWNER_VALUE = re.compile(rb'null|"(\d*)"')


def integer_owner_id(body: bytes) -> bytes | None:
    """`body`, a contact's 2.16 render, as 2.9 renders it: the one difference is the top-level
    `owner_id`, a digit string in 2.16 and an integer in 2.9 (`""` -> null;
    `versions.render_contact`). None when that is not provably all: the key missing (2.9 would
    add it at the end), not at the top level, or a value other than null or a digit string."""
    at = body.find(_OWNER_ID)
    if at <= 0:
        return None
    try:
        orjson.loads(body[:at] + b"}")  # parses only if the key sits at the top level
    except orjson.JSONDecodeError:
        return None
    start = at + len(_OWNER_ID)
    value = _OWNER_VALUE.match(body, start)
    if value is None or body[value.end() : value.end() + 1] not in (b",", b"}"):
        return None
    digits = value.group(1)
    legacy = str(int(digits)).encode() if digits else b"null"
    return body[:start] + legacy + body[value.end() :]
