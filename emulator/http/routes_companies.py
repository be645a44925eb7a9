"""Companies: page-number lists (family C, capped), scroll (family D), one company, its links
and notes."""

from __future__ import annotations

from typing import Any

from emulator.errors import ApiError, not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import Ordering, identity
from emulator.http.rendering import dumps, envelope
from emulator.http.scroll import ScrollExists, ScrollExpired
from emulator.http.serving import cursor_list_reply, numbered_list_reply, record_bytes
from emulator.versions import render_note, render_plain
from emulator.world.company_notes import company_notes as world_company_notes


def _company_not_found() -> ApiError:
    return not_found("Company Not Found", "company_not_found")


def _filtered_company_ids(ctx: Ctx) -> list[str]:
    """Companies in creation order, narrowed by the `name`/`company_id`/`tag_id`/`segment_id`
    query filters (exact matches, as Intercom's list filters)."""
    store = ctx.world.companies
    ids = [record_id for _, record_id in ctx.control.orderings.by_created_at(store).pairs]
    filters = {k: ctx.query.get(k) for k in ("name", "company_id", "tag_id", "segment_id")}
    if not any(filters.values()):
        return ids
    kept = []
    for record_id in ids:
        record = store.get(record_id)
        if record is not None and _company_matches(record, filters):
            kept.append(record_id)
    return kept


def _company_matches(record: dict[str, Any], filters: dict[str, str | None]) -> bool:
    if filters["name"] and record.get("name") != filters["name"]:
        return False
    if filters["company_id"] and record.get("company_id") != filters["company_id"]:
        return False
    if filters["tag_id"]:
        tag_ids = {t.get("id") for t in record.get("tags", {}).get("tags", [])}
        if filters["tag_id"] not in tag_ids:
            return False
    if filters["segment_id"]:
        segment_ids = {s.get("id") for s in record.get("segments", {}).get("segments", [])}
        if filters["segment_id"] not in segment_ids:
            return False
    return True


def list_companies(ctx: Ctx) -> Reply:
    """`GET /companies`: pages stop at `companies_page_cap` (10,000) records — deeper companies
    are only reachable through the scroll API, as in Intercom; `total_count` stays the real
    total so a client can notice."""
    return _capped_company_pages(ctx, _filtered_company_ids(ctx))


def _capped_company_pages(ctx: Ctx, ids: list[str]) -> Reply:
    """Pages of 15 (default) companies, no deeper than `companies_page_cap`."""
    return numbered_list_reply(
        ctx,
        ids[: ctx.control.settings.companies_page_cap],
        lambda company_id: record_bytes(ctx, "companies", company_id),
        list_type="list",
        items_key="data",
        per_page=ctx.per_page(15),
        total_count=len(ids),
    )


def list_companies_by_last_request(ctx: Ctx) -> Reply:
    """`POST /companies/list` (`page`, `per_page`, `order` in the query): companies with at
    least one contact, by `last_request_at` (default newest first; never seen = oldest), capped
    like `GET /companies` (spec `paths./companies/list.post`, API-NOTES §3.3)."""
    order = ctx.query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise parameter_invalid("order must be asc or desc")
    world = ctx.world
    store = world.companies
    keyed = []
    for position, (_, company_id) in enumerate(ctx.control.orderings.by_created_at(store).pairs):
        if not world.company_contact_ids(company_id):
            continue  # "the API does not include companies who have no associated users"
        record = store.get(company_id)
        if record is not None:
            keyed.append((record.get("last_request_at") or 0, position, company_id))
    keyed.sort(reverse=order == "desc")
    return _capped_company_pages(ctx, [company_id for _, _, company_id in keyed])


def scroll_companies(ctx: Ctx) -> Reply:
    control = ctx.control
    scrolls = control.scrolls
    param = ctx.query.get("scroll_param")
    try:
        if not param:
            param = scrolls.start()
            state = scrolls.continue_(param)
            state.snapshot = [
                r for _, r in control.orderings.by_created_at(ctx.world.companies).pairs
            ]
        else:
            state = scrolls.continue_(param)
    except ScrollExists:
        raise ApiError(400, "scroll_exists", "scroll already exists for this workspace") from None
    except ScrollExpired:
        raise not_found("scroll parameter not found") from None
    page_ids = state.snapshot[state.position : state.position + control.settings.scroll_page_size]
    state.position += len(page_ids)
    state.pages_served += 1
    if not page_ids:
        scrolls.finish(param)
    items = [
        body
        for record_id in page_ids
        if (body := record_bytes(ctx, "companies", record_id)) is not None
    ]
    body = envelope(
        {"type": "list"},
        "data",
        items,
        {"pages": None, "total_count": None, "scroll_param": param},
    )
    return Reply(body, paged=True)


def _company(ctx: Ctx) -> dict[str, Any]:
    record = ctx.world.companies.get(ctx.path["id"])
    if record is None:
        raise _company_not_found()
    return record


def get_company(ctx: Ctx) -> Reply:
    record = _company(ctx)
    body = record_bytes(ctx, "companies", record["id"])
    assert body is not None
    return Reply(body)


def company_contacts(ctx: Ctx) -> Reply:
    """Family A (a cursor `next` was observed on this endpoint), ordered by link creation."""
    record = _company(ctx)
    world = ctx.world
    contact_ids = [c for c in world.company_contact_ids(record["id"]) if c in world.contacts]
    pairs = sorted((world.contacts.get(c)["created_at"], c) for c in contact_ids)
    return cursor_list_reply(
        ctx,
        entity="contacts",
        list_type="list",
        items_key="data",
        ordering=Ordering(pairs, identity, identity),
        direction="asc",
        cursor=ctx.query.get("starting_after"),
        per_page=ctx.per_page(50),
        accept=lambda contact_id: True,
        total_count=len(pairs),
    )


def company_segments(ctx: Ctx) -> Reply:
    record = _company(ctx)
    segments = [
        render_plain(ctx.world.segments[s["id"]], ctx.version)
        for s in record.get("segments", {}).get("segments", [])
        if s.get("id") in ctx.world.segments
    ]
    return Reply(dumps({"type": "list", "data": segments}))


def company_notes(ctx: Ctx) -> Reply:
    """2.10+ (the 2.15 and 2.16 specs): page-numbered like a contact's notes, newest first."""
    record = _company(ctx)
    return numbered_list_reply(
        ctx,
        world_company_notes(ctx.world, record["id"]),
        lambda note: dumps(render_note(note, ctx.version)),
        list_type="list",
        items_key="data",
        per_page=ctx.per_page(50),
    )


ROUTES = [
    ApiRoute("GET", "/companies", list_companies),
    ApiRoute("POST", "/companies/list", list_companies_by_last_request),
    ApiRoute("GET", "/companies/scroll", scroll_companies),
    ApiRoute("GET", "/companies/{id}", get_company),
    ApiRoute("GET", "/companies/{id}/contacts", company_contacts),
    ApiRoute("GET", "/companies/{id}/segments", company_segments),
    ApiRoute("GET", "/companies/{id}/notes", company_notes, min_version=(2, 10)),
]
