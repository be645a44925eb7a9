"""Read-side views of the world the routes share: orderings of a store and their caches.

Caches are keyed on a store *generation*: a counter that moves whenever the store's
`updated_index()` snapshot is replaced or `ids()` changes (it grows in place on creation, is
replaced on removal). Only the latest snapshot of each store is referenced, so caches never
keep old snapshots alive.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from emulator.http.paging import Ordering, identity, nullable_key
from emulator.world.store import Store, head_reader


def _unkey(key: tuple) -> Any:
    return None if key[0] == 0 else key[1]


class Generations:
    """Per-store counters: `of(store)` moves on any change, `of_ids(store)` only when records
    are added or removed."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, bool], tuple[Any, Any, int, int]] = {}

    def _generation(self, store: Store, with_updates: bool) -> int:
        index = store.updated_index() if with_updates else None
        ids = store.ids()
        key = (id(store), with_updates)
        seen = self._seen.get(key)
        if seen is not None and seen[0] is index and seen[1] is ids and seen[2] == len(ids):
            return seen[3]
        generation = 0 if seen is None else seen[3] + 1
        self._seen[key] = (index, ids, len(ids), generation)
        return generation

    def of(self, store: Store) -> int:
        return self._generation(store, True)

    def of_ids(self, store: Store) -> int:
        return self._generation(store, False)

    def clear(self) -> None:
        self._seen.clear()


class Orderings:
    """Sorted `(key, id)` orderings of stores, cached per store generation."""

    def __init__(self, generations: Generations) -> None:
        self._generations = generations
        self._cache: dict[tuple[int, str], tuple[int, Ordering]] = {}

    def by_updated_at(self, store: Store) -> Ordering:
        return Ordering(store.updated_index(), identity, identity)

    def by_field(
        self, store: Store, name: str, getter: Callable[[dict], Any], *, immutable: bool = False
    ) -> Ordering:
        """Ordering by any field (nulls first), rebuilt when the store changes. An `immutable`
        field (created_at) only needs a rebuild when records are added or removed."""

        def build() -> list[tuple[Any, str]]:
            read = head_reader(store)  # no sort field lives in the parts
            pairs = []
            for record_id in store.ids():
                record = read(record_id)
                if record is not None:
                    pairs.append((nullable_key(getter(record)), record_id))
            return pairs

        return self._ordering(store, name, build, immutable)

    def by_created_at(self, store: Store) -> Ordering:
        def build() -> list[tuple[Any, str]]:
            # from the store's created_at index: no record is parsed (an int is the usual case:
            # the same key nullable_key gives, without a call per record)
            return [
                ((1, value) if type(value) is int else nullable_key(value), record_id)
                for record_id, value in list(store.created_index().items())
            ]

        return self._ordering(store, "created_at", build, immutable=True)

    def warm(self, stores: list[Store]) -> None:
        """Build the creation-time orderings of `stores` now (server start), as the store's
        own indexes are: not while a client waits for its first page (~0.07 s per 100k)."""
        for store in stores:
            self.by_created_at(store)

    def _ordering(
        self,
        store: Store,
        name: str,
        build: Callable[[], list[tuple[Any, str]]],
        immutable: bool,
    ) -> Ordering:
        generations = self._generations
        generation = generations.of_ids(store) if immutable else generations.of(store)
        cache_key = (id(store), name)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        pairs = build()
        pairs.sort()
        ordering = Ordering(pairs, nullable_key, _unkey)
        self._cache[cache_key] = (generation, ordering)
        return ordering

    def clear(self) -> None:
        self._cache.clear()


# record id -> (record version, matched, created_at) for one search query
MatchEntries = dict[str, tuple[int, bool, int | None]]  # created_at None: not read yet


class MatchCache:
    """Per-query memo of `matches(record)` so warm pages need no record parsing.

    Entries carry the record version they were computed for (a changed record is re-matched)
    and its `created_at` (for the index-lag check). Bounded: least recently used queries go
    when there are more than `max_queries` or more than `max_entries` memoised records.
    """

    def __init__(self, max_queries: int = 32, max_entries: int = 2_000_000) -> None:
        self._max_queries = max_queries
        self._max_entries = max_entries
        self._queries: OrderedDict[Hashable, MatchEntries] = OrderedDict()

    def entries(self, query_key: Hashable) -> MatchEntries:
        entries = self._queries.get(query_key)
        if entries is None:
            entries = self._queries[query_key] = {}
        else:
            self._queries.move_to_end(query_key)
        self._evict(keep=query_key)
        return entries

    def _evict(self, keep: Hashable) -> None:
        while len(self._queries) > 1 and (
            len(self._queries) > self._max_queries
            or sum(len(e) for e in self._queries.values()) > self._max_entries
        ):
            oldest = next(iter(self._queries))
            if oldest == keep:
                break
            del self._queries[oldest]

    def clear(self) -> None:
        self._queries.clear()
