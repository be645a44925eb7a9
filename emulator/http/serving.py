"""Building blocks the route modules share: rendering records through the cache, and the
cursor-list (family A) and numbered (family C) responses. Searches: `search_reply`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from emulator.http.middleware import Ctx, Reply
from emulator.http.paging import (
    Direction,
    Ordering,
    cursor_page,
    cursor_pages_object,
    numbered_page,
    numbered_pages_object,
)
from emulator.http.rendering import envelope
from emulator.http.splice import TailSplice, integer_owner_id, render_spliced
from emulator.versions import (
    ApiVersion,
    parse_version,
    plaintext_conversation,
    render_company,
    render_contact,
    render_conversation,
    render_ticket,
)
from emulator.world.store import Store, head_reader

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

# 2.16 renders that change only a record's last keys (emulator.http.splice): the key where the
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

# Pre-2.16 renders that are a 2.16 render with one value rewritten (emulator.http.splice).
LEGACY_PATCHES: dict[tuple[str, str], Callable[[bytes], bytes | None]] = {
    ("contacts", ""): integer_owner_id,
}
MODERN = parse_version("2.16", "2.16")


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
    allows it (emulator.http.splice), else parsed and rendered in full."""
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
