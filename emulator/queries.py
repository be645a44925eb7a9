"""Read-side views of the world the routes share: orderings of a store and their caches.

Caches are keyed on the identity of the store's snapshot lists (`updated_index()`, `ids()`),
which the Store replaces whenever records change, so a cached ordering is never stale while
holding a reference to the snapshot it was built from.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from emulator.paging import Ordering, identity, nullable_key
from emulator.store import Store


def _unkey(key: tuple) -> Any:
    return None if key[0] == 0 else key[1]


class Orderings:
    """Sorted `(key, id)` orderings of stores, cached per store snapshot."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], tuple[Any, Ordering]] = {}

    def by_updated_at(self, store: Store) -> Ordering:
        return Ordering(store.updated_index(), identity, identity)

    def by_field(
        self, store: Store, name: str, getter: Callable[[dict], Any], *, immutable: bool = False
    ) -> Ordering:
        """Ordering by any field (nulls first), rebuilt when the store changes. An `immutable`
        field (created_at) only needs a rebuild when records are added or removed."""
        # `ids()` grows in place when records are created: compare its length too.
        snapshot = (None if immutable else store.updated_index(), store.ids(), len(store.ids()))
        cache_key = (id(store), name)
        cached = self._cache.get(cache_key)
        if (
            cached is not None
            and cached[0][2] == snapshot[2]
            and all(a is b for a, b in zip(cached[0][:2], snapshot[:2], strict=False))
        ):
            return cached[1]
        pairs = []
        for record_id in store.ids():
            record = store.get(record_id)
            if record is not None:
                pairs.append((nullable_key(getter(record)), record_id))
        pairs.sort()
        ordering = Ordering(pairs, nullable_key, _unkey)
        self._cache[cache_key] = (snapshot, ordering)
        return ordering

    def by_created_at(self, store: Store) -> Ordering:
        return self.by_field(store, "created_at", lambda r: r.get("created_at"), immutable=True)

    def clear(self) -> None:
        self._cache.clear()


# record id -> (record version, matched, created_at) for one search query
MatchEntries = dict[str, tuple[int, bool, int]]


class MatchCache:
    """Per-query memo of `matches(record)` so warm pages need no record parsing.

    Entries carry the record version they were computed for (a changed record is re-matched)
    and its `created_at` (for the index-lag check). Bounded: least recently used queries go.
    """

    def __init__(self, max_queries: int = 32) -> None:
        self._max = max_queries
        self._queries: OrderedDict[Hashable, MatchEntries] = OrderedDict()

    def entries(self, query_key: Hashable) -> MatchEntries:
        entries = self._queries.get(query_key)
        if entries is None:
            entries = self._queries[query_key] = {}
            if len(self._queries) > self._max:
                self._queries.popitem(last=False)
        else:
            self._queries.move_to_end(query_key)
        return entries

    def clear(self) -> None:
        self._queries.clear()
