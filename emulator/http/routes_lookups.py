"""Small lookup lists (pagination family E), one item of each, and `/me`."""

from __future__ import annotations

from typing import Any

from emulator.errors import ApiError, not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.rendering import dumps
from emulator.versions import render_admin, render_plain, render_team, render_ticket_type
from emulator.world.records import tag_basic


def get_me(ctx: Ctx) -> Reply:
    world = ctx.world
    me = render_admin(world.me, ctx.version)
    me.setdefault("app", world.app)
    return Reply(dumps(me))


def list_admins(ctx: Ctx) -> Reply:
    admins = [render_admin(a, ctx.version) for a in ctx.world.admins.values()]
    return Reply(dumps({"type": "admin.list", "admins": admins}))


def get_admin(ctx: Ctx) -> Reply:
    admin = ctx.world.admins.get(ctx.path["id"])
    if admin is None:
        raise not_found("Admin not found", "admin_not_found")
    return Reply(dumps(render_admin(admin, ctx.version)))


def list_teams(ctx: Ctx) -> Reply:
    teams = [render_team(t, ctx.version) for t in ctx.world.teams.values()]
    return Reply(dumps({"type": "team.list", "teams": teams}))


def get_team(ctx: Ctx) -> Reply:
    team = ctx.world.teams.get(ctx.path["id"])
    if team is None:
        raise not_found("Team not found", "team_not_found")  # the spec's own example
    return Reply(dumps(render_team(team, ctx.version)))


def list_tags(ctx: Ctx) -> Reply:
    # real /tags items are only {type, id, name} (captures)
    tags = [tag_basic(t) for t in ctx.world.tags.values()]
    return Reply(dumps({"type": "list", "data": tags}))


def get_tag(ctx: Ctx) -> Reply:
    tag = ctx.world.tags.get(ctx.path["id"])
    if tag is None:
        raise not_found()  # the spec's example: not_found "Resource Not Found"
    return Reply(dumps(tag_basic(tag)))  # `tag_basic` in every spec, as /tags items


def list_segments(ctx: Ctx) -> Reply:
    segments = [render_plain(s, ctx.version) for s in ctx.world.segments.values()]
    if ctx.flag("include_count"):
        counts = _segment_counts(ctx)
        segments = [{**s, "count": counts.get(s["id"], 0)} for s in segments]
    return Reply(dumps({"type": "segment.list", "segments": segments}))


def get_segment(ctx: Ctx) -> Reply:
    segment = ctx.world.segments.get(ctx.path["id"])
    if segment is None:
        raise not_found()  # the spec's example: not_found "Resource Not Found"
    return Reply(dumps(render_plain(segment, ctx.version)))  # no `count`: only on the list


def _segment_counts(ctx: Ctx) -> dict[str, int]:
    counts: dict[str, int] = {}
    store = ctx.world.contacts
    for contact_id in store.ids():
        for segment_id in ctx.world.contact_segment_ids(contact_id):
            counts[segment_id] = counts.get(segment_id, 0) + 1
    return counts


_ATTRIBUTE_MODELS = ("contact", "company", "conversation")


def list_data_attributes(ctx: Ctx) -> Reply:
    model = ctx.query.get("model")
    if model is not None and model not in _ATTRIBUTE_MODELS:
        raise parameter_invalid("model must be one of contact, company, conversation")
    if model == "conversation" and ctx.version.modern:
        # 2.16 moved conversation attributes to GET /conversations/attributes.
        raise ApiError(422, "parameter_invalid", "Use GET /conversations/attributes instead")
    # without `model`: contact and company attributes (conversation ones only when asked)
    models = [model] if model else ["contact", "company"]
    include_archived = ctx.flag("include_archived")
    items: list[dict[str, Any]] = [
        render_plain(attribute, ctx.version)
        for name in models
        for attribute in ctx.world.data_attributes.get(name, [])
        if include_archived or not attribute.get("archived")
    ]
    return Reply(dumps({"type": "list", "data": items}))


def list_conversation_attributes(ctx: Ctx) -> Reply:
    """2.16: the conversation data attributes with their data types (`conversation_attribute`
    objects; spec 2.16 `paths./conversations/attributes.get`)."""
    include_archived = ctx.flag("include_archived")
    items = [
        conversation_attribute(attribute)
        for attribute in ctx.world.data_attributes.get("conversation", [])
        if include_archived or not attribute.get("archived")
    ]
    return Reply(dumps({"type": "list", "data": items}))


# /data_attributes data type -> 2.16 conversation_attribute data type
_CONVERSATION_ATTRIBUTE_TYPES = {
    "string": "string",
    "integer": "integer",
    "float": "decimal",
    "boolean": "boolean",
    "date": "datetime",
}


def conversation_attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    """A stored conversation data attribute as 2.16's `conversation_attribute`."""
    out: dict[str, Any] = {
        "type": "conversation_attribute",
        "id": attribute["id"],
        "name": attribute["name"],
        "description": attribute.get("description") or "",
        "data_type": _CONVERSATION_ATTRIBUTE_TYPES.get(attribute["data_type"], "string")
        if not attribute.get("options")
        else "list",
        "required": False,
        "visible_to_team_ids": [],
        "archived": bool(attribute.get("archived")),
        "created_at": attribute["created_at"],
        "updated_at": attribute["updated_at"],
        "admin_id": str(attribute.get("admin_id")),
    }
    if out["data_type"] == "list":
        out["options"] = [
            {"id": f"option-{attribute['id']}-{i}", "label": label, "archived": False}
            for i, label in enumerate(attribute.get("options") or [])
        ]
    if out["data_type"] == "string":
        out["multiline"] = False
    return out


def list_ticket_types(ctx: Ctx) -> Reply:
    types = [render_ticket_type(t, ctx.version) for t in ctx.world.ticket_types.values()]
    # Real responses use `data` (the 2.9 schema's `ticket_types` key is wrong, API-NOTES §3.6).
    return Reply(dumps({"type": "list", "data": types}))


def get_ticket_type(ctx: Ctx) -> Reply:
    ticket_type = ctx.world.ticket_types.get(ctx.path["id"])
    if ticket_type is None:
        raise not_found()  # undocumented (the spec lists no 404): Intercom's generic one
    return Reply(dumps(render_ticket_type(ticket_type, ctx.version)))


ROUTES = [
    ApiRoute("GET", "/me", get_me),
    ApiRoute("GET", "/admins", list_admins),
    ApiRoute("GET", "/admins/{id}", get_admin),
    ApiRoute("GET", "/teams", list_teams),
    ApiRoute("GET", "/teams/{id}", get_team),
    ApiRoute("GET", "/tags", list_tags),
    ApiRoute("GET", "/tags/{id}", get_tag),
    ApiRoute("GET", "/segments", list_segments),
    ApiRoute("GET", "/segments/{id}", get_segment),
    ApiRoute("GET", "/data_attributes", list_data_attributes),
    ApiRoute("GET", "/ticket_types", list_ticket_types),
    ApiRoute("GET", "/ticket_types/{id}", get_ticket_type),
    ApiRoute("GET", "/conversations/attributes", list_conversation_attributes, min_version=(2, 16)),
]
