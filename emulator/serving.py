"""Building blocks the route modules share: rendering records through the cache, and the
cursor-list and search responses (pagination families A and B)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from emulator.errors import ApiError
from emulator.paging import (
    Direction,
    Ordering,
    cursor_page,
    cursor_pages_object,
    numbered_page,
    numbered_pages_object,
)
from emulator.pipeline import Ctx, Reply
from emulator.rendering import envelope
from emulator.search import CompiledSearch, SearchError, compile_search, custom_attribute_types
from emulator.splice import TailSplice, integer_owner_id, render_spliced
from emulator.store import Store, head_reader
from emulator.versions import (
    ApiVersion,
    parse_version,
    plaintext_conversation,
    render_company,
    render_contact,
    render_conversation,
    render_ticket,
)

RENDERERS: dict[str, Callable[..., dict[str, Any]]] = {
    "contacts": render_contact,
    "companies": render_company,
    "conversations": render_conversation,
    "tickets": render_ticket,
}
LIST_VARIANT = "list"  # conversations/tickets without their parts, as in lists and search
MERGE_HISTORY_VARIANT = "merge_history"  # 2.16 contacts with include_merge_history=true
PLAINTEXT_VARIANT = "plaintext"  # conversations with display_as=plaintext


def _without_parts(render: Callable[..., dict]) -> Callable[[dict, ApiVersion], dict]:
    return lambda record, version: render(record, version, with_parts=False)


def _with_merge_history(record: dict, version: ApiVersion) -> dict:
    out = render_contact(record, version)
    if record.get("role") == "user":
        out["merge_history"] = record.get("merge_history") or []
    return out


def _plaintext(record: dict, version: ApiVersion) -> dict:
    return plaintext_conversation(render_conversation(record, version), version)


VARIANTS: dict[tuple[str, str], Callable[[dict, ApiVersion], dict]] = {
    ("conversations", LIST_VARIANT): _without_parts(render_conversation),
    ("tickets", LIST_VARIANT): _without_parts(render_ticket),
    ("contacts", MERGE_HISTORY_VARIANT): _with_merge_history,
    ("conversations", PLAINTEXT_VARIANT): _plaintext,
}

# 2.16 renders that change only a record's last keys (emulator.splice): the key where the
# changes start, and what the untouched head must not hold.
SPLICES: dict[tuple[str, str], TailSplice] = {
    # embedded lists (truncated at 10) and merge_history (dropped) come last
    # and so do the 2.16-only `email_domain`, `enabled_push_messaging` (dropped before 2.16)
    ("contacts", ""): TailSplice(
        "tags",
        forbidden=(
            b'"has_more"',
            b'"merge_history"',
            b'"email_domain"',
            b'"enabled_push_messaging"',
        ),
    ),
    ("companies", ""): TailSplice(None),  # 2.16 companies: the public text
    ("conversations", LIST_VARIANT): TailSplice("conversation_parts"),
    ("tickets", LIST_VARIANT): TailSplice("ticket_parts"),
}

# Pre-2.16 renders that are a 2.16 render with one value rewritten (emulator.splice).
LEGACY_PATCHES: dict[tuple[str, str], Callable[[bytes], bytes | None]] = {
    ("contacts", ""): integer_owner_id,
}
MODERN = parse_version("2.16", "2.16")

_ID_MAX = "\U0010ffff"


def store_of(ctx: Ctx, entity: str) -> Store:
    return getattr(ctx.world, entity)


def record_bytes(ctx: Ctx, entity: str, record_id: str, variant: str = "") -> bytes | None:
    """The JSON of one record in the request's version, from the render cache."""
    return records_bytes(ctx, entity, [record_id], variant)[0]


def records_bytes(
    ctx: Ctx, entity: str, record_ids: Sequence[str], variant: str = ""
) -> list[bytes | None]:
    """The JSON of each record (None: no such record) in the request's version, from the
    render cache."""
    store = store_of(ctx, entity)
    version = ctx.version
    records = list(zip(record_ids, store.live_versions(record_ids), strict=True))
    render = _record_renderer(store, entity, version, variant)
    return ctx.control.renders.get_many(entity, version, variant, records, render)


def render_record(
    store: Store, entity: str, record_id: str, version: ApiVersion, variant: str = ""
) -> bytes | None:
    """`orjson.dumps(render(record, version))`: spliced from the stored text when the render
    allows it (emulator.splice), else parsed and rendered in full."""
    return _record_renderer(store, entity, version, variant)(record_id)


def _record_renderer(
    store: Store, entity: str, version: ApiVersion, variant: str
) -> Callable[[str], bytes | None]:
    """`render_record` for one store, version and variant."""
    render = VARIANTS[(entity, variant)] if variant else RENDERERS[entity]
    legacy_patch = None if version.modern else LEGACY_PATCHES.get((entity, variant))
    splice = SPLICES.get((entity, variant)) if version.modern or legacy_patch else None
    # A legacy patch turns the 2.16 head into this version's (the tail is rendered in it).
    tail_version = version
    read = head_reader(store) if variant == LIST_VARIANT else store.get

    def render_tail(tail: dict[str, Any]) -> dict[str, Any]:
        return render(tail, tail_version)

    def render_one(record_id: str) -> bytes | None:
        if splice is not None:
            text = store.get_public_text(record_id)
            if text is not None:
                body = render_spliced(text, splice, render_tail)
                if body is not None and legacy_patch is not None:
                    body = legacy_patch(body)
                if body is not None:
                    return body
        record = read(record_id)
        return None if record is None else orjson.dumps(render(record, version))

    return render_one


def list_variant(entity: str, variant: str = "") -> str:
    return LIST_VARIANT if entity in ("conversations", "tickets") else variant


def cursor_list_reply(
    ctx: Ctx,
    *,
    entity: str,
    list_type: str,
    items_key: str,
    ordering: Ordering,
    direction: Direction,
    cursor: str | None,
    per_page: int,
    accept: Callable[[str], bool],
    total_count: int,
    index_range: tuple[int, int] | None = None,
    variant: str = "",
) -> Reply:
    """A family A/B page: `{type, <items_key>: [...], total_count, pages}`."""
    page = cursor_page(ordering, direction, cursor, per_page, accept, index_range)
    variant = list_variant(entity, variant)
    items = records_bytes(ctx, entity, [record_id for _, record_id in page.pairs], variant)
    body = envelope(
        {"type": list_type},
        items_key,
        [item for item in items if item is not None],
        {"total_count": total_count, "pages": cursor_pages_object(page, total_count)},
    )
    return Reply(body, paged=True)


T = TypeVar("T")


def numbered_list_reply(
    ctx: Ctx,
    items: Sequence[T],
    render: Callable[[T], bytes | None],
    *,
    list_type: str,
    items_key: str,
    per_page: int,
    total_count: int | None = None,
) -> Reply:
    """A family C page (`?page=&per_page=`, `pages.next` a URL or null). Only the page's items
    are rendered; `total_count` defaults to `len(items)`."""
    page = numbered_page(len(items), ctx.int_param("page", 1), per_page)
    next_url = str(ctx.request.url.include_query_params(page=page.page + 1, per_page=per_page))
    rendered = [render(item) for item in items[page.start : page.stop]]
    body = envelope(
        {"type": list_type},
        items_key,
        [item for item in rendered if item is not None],
        {
            "total_count": len(items) if total_count is None else total_count,
            "pages": numbered_pages_object(page, next_url),
        },
    )
    return Reply(body, paged=True)


# ---------------------------------------------------------------------------------------------
# Search (family B)


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
            record = _LazyRecord(record_id, updated, read)
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
    query (`updated_at > t`) then matches without parsing a single record."""

    __slots__ = ("_id", "_read", "_record", "_updated_at")

    def __init__(self, record_id: str, updated_at: int, read: Callable[[str], dict | None]) -> None:
        self._id = record_id
        self._updated_at = updated_at  # from the store's index: the record's own value
        self._read = read
        self._record: dict | None = None

    def _parsed(self) -> dict:
        if self._record is None:
            self._record = self._read(self._id) or {}
        return self._record

    def __getitem__(self, key: str) -> Any:
        if key == "updated_at":
            return self._updated_at
        return self._parsed()[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key == "updated_at":
            return self._updated_at
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
