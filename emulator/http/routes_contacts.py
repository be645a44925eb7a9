"""Contacts: list (family A), search (family B), one contact (by id or external id), its
sub-resources (tags, companies, notes, segments, subscriptions, merge history), and one note."""

from __future__ import annotations

from typing import Any

from emulator.cursors import encode_cursor
from emulator.errors import ApiError, not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import read_cursor
from emulator.http.rendering import dumps
from emulator.http.search_reply import search_reply
from emulator.http.serving import (
    MERGE_HISTORY_VARIANT,
    cursor_list_reply,
    numbered_list_reply,
    record_bytes,
)
from emulator.versions import render_note, render_plain
from emulator.world.consents import contact_subscriptions

MERGED_LINK_HOPS = 3  # the 410's Link header resolves merge chains up to 3 hops


def _merge_history_variant(ctx: Ctx) -> str:
    return MERGE_HISTORY_VARIANT if ctx.version.modern and ctx.flag("include_merge_history") else ""


def _user_not_found() -> ApiError:
    return not_found("User Not Found")


def list_contacts(ctx: Ctx) -> Reply:
    world = ctx.world
    store = world.contacts
    merged = world.merged_contacts
    hidden = sum(1 for contact_id in merged if contact_id in store)
    return cursor_list_reply(
        ctx,
        entity="contacts",
        list_type="list",
        items_key="data",
        ordering=ctx.control.orderings.by_created_at(store),
        direction="asc",
        cursor=ctx.query.get("starting_after"),
        per_page=ctx.per_page(50),
        accept=lambda contact_id: contact_id not in merged,
        total_count=len(store) - hidden,
        variant=_merge_history_variant(ctx),
    )


def search_contacts(ctx: Ctx) -> Reply:
    merged = ctx.world.merged_contacts
    return search_reply(
        ctx,
        entity="contacts",
        list_type="list",
        items_key="data",
        hidden=merged,
        variant=_merge_history_variant(ctx),
    )


def _live_contact(ctx: Ctx) -> dict[str, Any]:
    """The contact of the path, or the error Intercom gives for a missing/merged one."""
    world = ctx.world
    contact_id = ctx.path["id"]
    record = world.contacts.get(contact_id) if contact_id not in world.merged_contacts else None
    if record is not None:
        return record
    if contact_id in world.merged_contacts and ctx.version.modern:
        target = contact_id
        for _ in range(MERGED_LINK_HOPS):
            if target not in world.merged_contacts:
                break
            target = world.merged_contacts[target][0]
        raise ApiError(
            410,
            "contact_merged",
            "This contact has been merged. See the 'Link' header for the canonical contact.",
            {"Link": f'</contacts/{target}>; rel="canonical"'},
        )
    raise _user_not_found()


def get_contact(ctx: Ctx) -> Reply:
    return _contact_reply(ctx, _live_contact(ctx))


def get_contact_by_external_id(ctx: Ctx) -> Reply:
    """Users only ("this endpoint only supports users and not leads"). The 2.16 spec's 410 for
    a merged contact cannot happen here: the world merges leads only, and they leave the store."""
    external_id = ctx.path["external_id"]
    # a linear scan: Intercom indexes external ids, the emulator serves this lookup rarely
    for record in ctx.world.contacts.values(with_parts=False):
        if record.get("role") == "user" and record.get("external_id") == external_id:
            return _contact_reply(ctx, record)
    raise _user_not_found()


def _contact_reply(ctx: Ctx, record: dict[str, Any]) -> Reply:
    body = record_bytes(ctx, "contacts", record["id"], _merge_history_variant(ctx))
    assert body is not None
    return Reply(body)


def contact_tags(ctx: Ctx) -> Reply:
    record = _live_contact(ctx)
    applications = record.get("_tag_applications") or {}
    tags = []
    for ref in record.get("tags", {}).get("data", []):
        tag = ctx.world.tags.get(ref["id"])
        if tag is None:
            continue
        applied_at, admin_id = applications.get(ref["id"], (None, None))
        tags.append(
            {
                **render_plain(tag, ctx.version),
                "applied_at": applied_at,
                "applied_by": {"type": "admin", "id": admin_id} if admin_id else None,
            }
        )
    return Reply(dumps({"type": "list", "data": tags}))


def contact_segments(ctx: Ctx) -> Reply:
    record = _live_contact(ctx)
    segments = [
        render_plain(ctx.world.segments[s], ctx.version)
        for s in ctx.world.contact_segment_ids(record["id"])
        if s in ctx.world.segments
    ]
    return Reply(dumps({"type": "list", "data": segments}))


def contact_companies(ctx: Ctx) -> Reply:
    record = _live_contact(ctx)
    company_ids = [ref["id"] for ref in record.get("companies", {}).get("data", [])]
    # Real responses name the array `data` (the schema's `companies` is wrong, API-NOTES §3.2).
    return numbered_list_reply(
        ctx,
        company_ids,
        lambda company_id: record_bytes(ctx, "companies", company_id),
        list_type="list",
        items_key="data",
        per_page=ctx.per_page(50),
    )


def contact_subscription_types(ctx: Ctx) -> Reply:
    """The contact's explicit choices, unpaginated: the opt-out types it left, then the opt-in
    types it joined, each a full subscription type (`subscription_type_list`, 2.9+)."""
    record = _live_contact(ctx)
    items = [
        {k: v for k, v in t.items() if not k.startswith("_")}
        for t in contact_subscriptions(ctx.world, record)
    ]
    return Reply(dumps({"type": "list", "data": items}))


def contact_notes(ctx: Ctx) -> Reply:
    record = _live_contact(ctx)
    return numbered_list_reply(
        ctx,
        ctx.world.contact_notes(record["id"]),
        lambda note: dumps(render_note(note, ctx.version)),
        list_type="list",
        items_key="data",
        per_page=ctx.per_page(50),
    )


def get_note(ctx: Ctx) -> Reply:
    note = ctx.world.notes.get(ctx.path["id"])
    if note is None:
        raise not_found()  # the spec's example: not_found "Resource Not Found"
    return Reply(dumps(render_note(note, ctx.version)))


def contact_merge_history(ctx: Ctx) -> Reply:
    """2.16 `GET /contacts/{id}/merge_history`: `{type, data, next_cursor, has_more}`."""
    record = _live_contact(ctx)
    if record.get("role") != "user":
        raise _user_not_found()  # only users have a merge history
    order = ctx.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise parameter_invalid("order must be asc or desc")
    per_page = ctx.per_page(50)
    items = sorted(
        record.get("merge_history") or [],
        key=lambda item: (item.get("merged_at") or 0, item.get("source_contact_id") or ""),
        reverse=order == "desc",
    )
    after, page = read_cursor(ctx.query.get("cursor"))
    if after is not None:
        position = next(
            (i + 1 for i, item in enumerate(items) if item.get("source_contact_id") == after[1]),
            None,
        )
        if position is None:
            raise parameter_invalid("cursor is invalid")
        items = items[position:]
    served, rest = items[:per_page], items[per_page:]
    next_cursor = None
    if rest:
        last = served[-1]
        next_cursor = encode_cursor(last.get("merged_at"), last["source_contact_id"], page + 1)
    body = {"type": "list", "data": served, "next_cursor": next_cursor, "has_more": bool(rest)}
    return Reply(dumps(body), paged=True)


ROUTES = [
    ApiRoute("GET", "/contacts", list_contacts),
    ApiRoute("POST", "/contacts/search", search_contacts),
    # Before /contacts/{id}/… so that an external id such as "tags" is not taken for a path.
    ApiRoute(
        "GET",
        "/contacts/find_by_external_id/{external_id}",
        get_contact_by_external_id,
        min_version=(2, 10),
    ),
    ApiRoute("GET", "/contacts/{id}", get_contact),
    ApiRoute("GET", "/contacts/{id}/tags", contact_tags),
    ApiRoute("GET", "/contacts/{id}/companies", contact_companies),
    ApiRoute("GET", "/contacts/{id}/notes", contact_notes),
    ApiRoute("GET", "/contacts/{id}/segments", contact_segments),
    ApiRoute("GET", "/contacts/{id}/subscriptions", contact_subscription_types),
    ApiRoute("GET", "/contacts/{id}/merge_history", contact_merge_history, min_version=(2, 16)),
    ApiRoute("GET", "/notes/{id}", get_note),
]
