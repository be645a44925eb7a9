"""Serialising records fast: a render cache of JSON bytes and envelope assembly without re-encoding.

A list page is built by joining pre-serialised record bytes, so serving a page costs a dict
lookup per record once the cache is warm (key: entity, id, record version, version shape,
variant).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from emulator.versions import ApiVersion

Renderer = Callable[[dict[str, Any], ApiVersion], dict[str, Any]]


class RenderCache:
    """(entity, id, record version, shape, variant) -> JSON bytes. Bounded: cleared when full."""

    def __init__(self, max_entries: int = 500_000) -> None:
        self._max = max_entries
        self._cache: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    def get(
        self,
        entity: str,
        record_id: str,
        record_version: int,
        version: ApiVersion,
        load: Callable[[], dict[str, Any] | None],
        render: Renderer,
        variant: str = "",
    ) -> bytes | None:
        key = (entity, record_id, record_version, version.shape, variant)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        record = load()
        if record is None:
            return None
        body = orjson.dumps(render(record, version))
        with self._lock:
            if len(self._cache) >= self._max:
                self._cache.clear()  # crude but bounded; versions make stale keys unreachable
            self._cache[key] = body
        return body

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


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
