"""Conversations and tickets: list (family A), search (family B), one record, deletion feed."""

from __future__ import annotations

from emulator.errors import ApiError, not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.rendering import dumps
from emulator.http.search_reply import search_reply
from emulator.http.serving import (
    PLAINTEXT_VARIANT,
    cursor_list_reply,
    numbered_list_reply,
    record_bytes,
)
from emulator.world.handling import handling_events, side_conversations

MAX_PER_PAGE_DELETED = 60  # GET /conversations/deleted allows at most 60 per page
MAX_PER_PAGE_SIDE = 50  # GET /conversations/{id}/side_conversations: default 25, at most 50


def list_conversations(ctx: Ctx) -> Reply:
    """Newest `updated_at` first: records updated while a client pages move to the front."""
    store = ctx.world.conversations
    return cursor_list_reply(
        ctx,
        entity="conversations",
        list_type="conversation.list",
        items_key="conversations",
        ordering=ctx.control.orderings.by_updated_at(store),
        direction="desc",
        cursor=ctx.query.get("starting_after"),
        per_page=ctx.per_page(20),
        accept=lambda record_id: True,
        total_count=len(store),
    )


def search_conversations(ctx: Ctx) -> Reply:
    return search_reply(
        ctx, entity="conversations", list_type="conversation.list", items_key="conversations"
    )


def get_conversation(ctx: Ctx) -> Reply:
    display_as = ctx.query.get("display_as")
    if display_as not in (None, "", "plaintext", "html"):
        raise parameter_invalid("display_as must be plaintext")
    variant = PLAINTEXT_VARIANT if display_as == "plaintext" else ""
    body = record_bytes(ctx, "conversations", ctx.path["id"], variant)
    if body is None:
        raise not_found()
    return Reply(body)


def list_deleted_conversations(ctx: Ctx) -> Reply:
    """2.16 deletion feed (family C), ordered by `deleted_at` (default descending)."""
    order = ctx.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise parameter_invalid("order must be asc or desc")
    per_page = ctx.int_param("per_page", 20, maximum=MAX_PER_PAGE_DELETED)
    items = sorted(
        ctx.world.deleted_conversations.values(),
        key=lambda item: (item["deleted_at"], item["id"]),
        reverse=order == "desc",
    )
    return numbered_list_reply(
        ctx,
        items,
        dumps,
        list_type="conversations.list",
        items_key="conversations",
        per_page=per_page,
    )


def list_handling_events(ctx: Ctx) -> Reply:
    """2.16: the conversation's pause/resume events, all in one reply (not paged)."""
    conversation = ctx.world.conversations.get(ctx.path["id"])
    if conversation is None:
        raise not_found()
    return Reply(dumps({"handling_events": handling_events(conversation)}))


def list_side_conversations(ctx: Ctx) -> Reply:
    """2.16: the conversation's side conversations with their parts (family C pages)."""
    conversation = ctx.world.conversations.get(ctx.path["id"])
    if conversation is None:
        raise not_found()
    per_page = ctx.int_param("per_page", 25, maximum=MAX_PER_PAGE_SIDE)
    items = side_conversations(ctx.world.cfg.seed, conversation)
    return numbered_list_reply(
        ctx,
        items,
        dumps,
        list_type="side_conversation.list",
        items_key="side_conversations",
        per_page=per_page,
    )


def search_tickets(ctx: Ctx) -> Reply:
    return search_reply(ctx, entity="tickets", list_type="ticket.list", items_key="tickets")


def get_ticket(ctx: Ctx) -> Reply:
    body = record_bytes(ctx, "tickets", ctx.path["id"])
    if body is None:
        raise ApiError(404, "ticket_not_found", "Ticket not found")
    return Reply(body)


ROUTES = [
    ApiRoute("GET", "/conversations", list_conversations),
    ApiRoute("POST", "/conversations/search", search_conversations),
    # Before /conversations/{id} so that "deleted" is not taken for an id.
    ApiRoute("GET", "/conversations/deleted", list_deleted_conversations, min_version=(2, 16)),
    ApiRoute("GET", "/conversations/{id}", get_conversation),
    ApiRoute(
        "GET", "/conversations/{id}/handling_events", list_handling_events, min_version=(2, 16)
    ),
    ApiRoute(
        "GET",
        "/conversations/{id}/side_conversations",
        list_side_conversations,
        min_version=(2, 16),
    ),
    ApiRoute("POST", "/tickets/search", search_tickets, min_version=(2, 10)),
    ApiRoute("GET", "/tickets/{id}", get_ticket),
]
