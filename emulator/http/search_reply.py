"""`POST /<entity>/search` (pagination family B): running a compiled search over a store's
`updated_at` index and answering with a cursor page of rendered records."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import orjson

from emulator.errors import ApiError
from emulator.http.middleware import Ctx, Reply
from emulator.http.paging import Direction
from emulator.http.serving import cursor_list_reply, store_of
from emulator.search import CompiledSearch, SearchError, compile_search, custom_attribute_types
from emulator.search.fields import SEGMENT_IDS_KEY
from emulator.world.store import Store, head_reader

_ID_MAX = "\U0010ffff"


def updated_range(pairs: Any, bounds: tuple[int | None, int | None]) -> tuple[int, int]:
    """Index range of `(updated_at, id)` pairs whose updated_at lies within inclusive bounds."""
    lo, hi = bounds
    start = 0 if lo is None else bisect.bisect_left(pairs, (lo, ""))
    stop = len(pairs) if hi is None else bisect.bisect_right(pairs, (hi, _ID_MAX))
    return start, stop


def search_reply(
    ctx: Ctx,
    *,
    entity: str,
    list_type: str,
    items_key: str,
    hidden: Collection[str] = frozenset(),
    variant: str = "",
) -> Reply:
    """`POST /<entity>/search`; records whose id is in `hidden` (merged contacts) never match.
    The cursor is read from the body only: a `starting_after` in the query string is ignored,
    as Intercom does."""
    world = ctx.world
    try:
        compiled = compile_search(
            ctx.body,
            entity=entity,
            timezone=world.timezone,
            api_version=ctx.version.name,
            inclusive_range=ctx.control.settings.search_inclusive_range,
            # contacts: declared custom attributes only, date ones searched per day
            custom_attribute_types=(
                custom_attribute_types(world.data_attributes.get("contact", []))
                if entity == "contacts"
                else None
            ),
        )
    except SearchError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    store = store_of(ctx, entity)
    lag = ctx.control.settings.index_lag_seconds
    newest_visible = world.now - lag if lag else None
    query = ctx.body.get("query") if isinstance(ctx.body, dict) else None
    query_key = orjson.dumps(query, option=orjson.OPT_SORT_KEYS)
    # A query that is exactly its updated_at bounds needs no record read (nor memo) unless the
    # index lag must read created_at.
    by_bounds = compiled.bounds_exact and newest_visible is None
    field = compiled.sort_field or "updated_at"  # our default order: updated_at descending
    if by_bounds and field == "updated_at":
        # the page walks the index range of the bounds: every live record in it matches
        accept = lambda record_id: record_id not in hidden  # noqa: E731
    elif by_bounds:
        accept = _bounds_accept(store, compiled, hidden)
    else:
        accept = _predicate_accept(ctx, entity, query_key, store, compiled, hidden, newest_visible)

    direction: Direction = "desc" if compiled.descending else "asc"
    index_range = None
    if field == "updated_at":
        ordering = ctx.control.orderings.by_updated_at(store)
        index_range = updated_range(ordering.pairs, compiled.updated_at_bounds)
    else:
        assert compiled.sort_value is not None
        # (legacy versions read a few conversation fields differently, hence the version)
        ordering = ctx.control.orderings.by_field(
            store, f"search:{field}:{ctx.version.modern}", compiled.sort_value
        )
    total = _search_total(
        ctx,
        (entity, query_key, ctx.version.modern, newest_visible),
        store,
        accept,
        compiled,
        hidden if by_bounds else None,
    )
    return cursor_list_reply(
        ctx,
        entity=entity,
        list_type=list_type,
        items_key=items_key,
        ordering=ordering,
        direction=direction,
        cursor=compiled.starting_after,
        per_page=compiled.per_page,
        accept=accept,
        total_count=total,
        index_range=index_range,
        variant=variant,
    )


def _within_bounds(store: Store, bounds: tuple[int | None, int | None]) -> Callable[[str], bool]:
    """Is a record live with its `updated_at` within the inclusive bounds? (no record read)"""
    lo, hi = bounds
    updated = store.updated_at_by_id()

    def within(record_id: str) -> bool:
        value = updated.get(record_id)
        return value is not None and (lo is None or value >= lo) and (hi is None or value <= hi)

    return within


def _bounds_accept(
    store: Store, compiled: CompiledSearch, hidden: Collection[str]
) -> Callable[[str], bool]:
    """Matching for a query that is exactly its `updated_at` bounds: the store's index."""
    within = _within_bounds(store, compiled.updated_at_bounds)
    return lambda record_id: within(record_id) and record_id not in hidden


def _predicate_accept(
    ctx: Ctx,
    entity: str,
    query_key: bytes,
    store: Store,
    compiled: CompiledSearch,
    hidden: Collection[str],
    newest_visible: int | None,
) -> Callable[[str], bool]:
    """Matching by running the predicate, memoised per query and record version."""
    lo, hi = compiled.updated_at_bounds
    # Pre-2.16 versions match a few conversation values differently (legacy priority…).
    memo = ctx.control.matches.entries((entity, query_key, ctx.version.modern))
    read = head_reader(store)
    memberships = ctx.control.contact_segments if entity == "contacts" else None

    def accept(record_id: str) -> bool:
        updated = store.updated_at(record_id)
        if (lo is not None and updated < lo) or (hi is not None and updated > hi):
            return False
        if record_id in hidden:
            return False
        version = store.version(record_id)
        entry = memo.get(record_id)
        if entry is None or entry[0] != version:
            if record_id not in store:
                return False
            record = _LazyRecord(record_id, updated, read, version, memberships)
            entry = (version, compiled.matches(record), record.created_at_if_read())
            memo[record_id] = entry
        if newest_visible is not None:
            created_at = entry[2]
            if created_at is None:  # the match needed no parse; the index-lag check does
                created_at = (read(record_id) or {}).get("created_at", 0)
                memo[record_id] = (entry[0], entry[1], created_at)
            if created_at > newest_visible:
                return False  # created too recently: not in the search index yet
        return entry[1]

    return accept


class _LazyRecord(Mapping[str, Any]):
    """A stored record as a search predicate sees it, parsed only when the predicate reads a
    field other than `updated_at` (the store indexes that one): the usual incremental-sync
    query (`updated_at > t`) then matches without parsing a single record. A contact's segment
    ids come from `memberships` (record id -> (version, ids)), shared by every segment search:
    a sync searches each segment in turn, and parsing every contact once per segment made a
    `medium` world's segment searches outlast the client's timeout."""

    __slots__ = ("_id", "_memberships", "_read", "_record", "_updated_at", "_version")

    def __init__(
        self,
        record_id: str,
        updated_at: int,
        read: Callable[[str], dict | None],
        version: int = 0,
        memberships: dict[str, tuple[int, Any]] | None = None,
    ) -> None:
        self._id = record_id
        self._updated_at = updated_at  # from the store's index: the record's own value
        self._read = read
        self._version = version
        self._memberships = memberships
        self._record: dict | None = None

    def _parsed(self) -> dict:
        if self._record is None:
            self._record = self._read(self._id) or {}
        return self._record

    def _segment_ids(self) -> Any:
        assert self._memberships is not None
        known = self._memberships.get(self._id)
        if known is None or known[0] != self._version:
            known = (self._version, self._parsed().get(SEGMENT_IDS_KEY))
            self._memberships[self._id] = known
        return known[1]

    def __getitem__(self, key: str) -> Any:
        if key == "updated_at":
            return self._updated_at
        if key == SEGMENT_IDS_KEY and self._memberships is not None:
            value = self._segment_ids()
            if value is None:
                raise KeyError(key)
            return value
        return self._parsed()[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key == "updated_at":
            return self._updated_at
        if key == SEGMENT_IDS_KEY and self._memberships is not None:
            value = self._segment_ids()
            return default if value is None else value
        return self._parsed().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._parsed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def created_at_if_read(self) -> int | None:
        """`created_at` if the record was parsed anyway, else None (read later if needed)."""
        return None if self._record is None else self._record.get("created_at", 0)


def _search_total(
    ctx: Ctx,
    key: tuple,
    store: Store,
    accept: Callable[[str], bool],
    compiled: CompiledSearch,
    exact_hidden: Collection[str] | None,
) -> int:
    """Number of matches, cached until the store changes. With `exact_hidden` (the query is
    exactly its `updated_at` bounds; the hidden ids) it is the width of the bisected range less
    the hidden ids in it; otherwise a pass of `accept` over the range per distinct query."""
    counts = ctx.control.search_counts
    full_key = (*key, ctx.control.generations.of(store))
    total = counts.get(full_key)
    if total is None:
        snapshot = store.updated_index()
        start, stop = updated_range(snapshot, compiled.updated_at_bounds)
        if exact_hidden is not None:
            within = _within_bounds(store, compiled.updated_at_bounds)
            in_range = max(0, stop - start)  # bounds may cross (lo > hi): nothing matches
            total = in_range - sum(1 for record_id in exact_hidden if within(record_id))
        else:
            total = sum(1 for i in range(start, stop) if accept(snapshot[i][1]))
        if len(counts) > 10_000:
            counts.clear()
        counts[full_key] = total
    return total
