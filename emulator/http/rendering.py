"""Serialising records fast: a render cache of JSON bytes and envelope assembly without re-encoding.

A list page is built by joining pre-serialised record bytes, so serving a page costs a dict
lookup per record once the cache is warm (key: entity, id, version shape, variant; checked
against the record's version).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from emulator.versions import ApiVersion


class RenderCache:
    """(entity, id, version shape, variant) -> (record version, JSON bytes).

    One entry per live rendering (a new record version replaces the old one). Bounded by a byte
    budget (cleared when exceeded); bodies above `max_item_bytes` — whole conversations with
    hundreds of parts — are not kept: they are fetched once each by a sync and would only evict
    the small list records that pages reuse.
    """

    def __init__(self, max_bytes: int = 256 << 20, max_item_bytes: int = 32 << 10) -> None:
        self._max_bytes = max_bytes
        self._max_item = max_item_bytes
        self._bytes = 0
        self._cache: dict[tuple, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def get_many(
        self,
        entity: str,
        version: ApiVersion,
        variant: str,
        records: list[tuple[str, int]],
        produce: Callable[[str], bytes | None],
    ) -> list[bytes | None]:
        """The cached JSON of each `(id, record version)` of a page, else `produce(id)` (None:
        no such record), stored."""
        shape = version.shape
        cache = self._cache
        out: list[bytes | None] = []
        fresh: list[tuple[tuple, int, bytes]] = []
        for record_id, record_version in records:
            key = (entity, record_id, shape, variant)
            cached = cache.get(key)
            if cached is not None and cached[0] == record_version:
                out.append(cached[1])
                continue
            body = produce(record_id)
            if body is not None and len(body) <= self._max_item:
                fresh.append((key, record_version, body))
            out.append(body)
        if fresh:
            self._put(fresh)
        return out

    def _put(self, entries: list[tuple[tuple, int, bytes]]) -> None:
        with self._lock:
            for key, record_version, body in entries:
                if self._bytes + len(body) > self._max_bytes:
                    self._cache.clear()  # crude but bounded
                    self._bytes = 0
                previous = self._cache.get(key)
                if previous is not None:
                    self._bytes -= len(previous[1])
                self._cache[key] = (record_version, body)
                self._bytes += len(body)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._bytes = 0


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def envelope(head: dict[str, Any], items_key: str, items: Iterable[bytes], tail: dict) -> bytes:
    """`{**head, items_key: [items…], **tail}` where items are already JSON bytes."""
    parts = [b"{"]
    for key, value in head.items():
        parts += [orjson.dumps(key), b":", orjson.dumps(value), b","]
    parts += [orjson.dumps(items_key), b":[", b",".join(items), b"]"]
    for key, value in tail.items():
        parts += [b",", orjson.dumps(key), b":", orjson.dumps(value)]
    parts.append(b"}")
    return b"".join(parts)
