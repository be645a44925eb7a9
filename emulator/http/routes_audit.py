"""The admins' activity log (issue 21): `GET /admins/activity_logs` (every version: the 2.9
spec has it) and `GET /admins/activity_log_event_types` (2.16).

`created_at_after` is required (400 `parameter_not_found` without it); both bounds are
inclusive and whole Unix seconds (the specs do not say; the sync overlaps its windows and
merges on id, so either reading is safe). Newest first, in numbered pages whose `pages.next`
is a URL (family C, deviations.yaml `page-number-next-link`), 20 a page unless `per_page`.
"""

from __future__ import annotations

from emulator.errors import ApiError, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.paging import numbered_page, numbered_pages_object
from emulator.http.rendering import dumps
from emulator.world.audit import KIND, event_types

V216 = (2, 16)
DEFAULT_PER_PAGE = 20  # the specs' examples


def _timestamp(ctx: Ctx, name: str) -> int | None:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise parameter_invalid(f"{name} must be a UNIX timestamp") from None


def list_activity_logs(ctx: Ctx) -> Reply:
    after = _timestamp(ctx, "created_at_after")
    if after is None:
        raise ApiError(400, "parameter_not_found", "created_at_after is a required parameter")
    before = _timestamp(ctx, "created_at_before")
    entries = [
        entry
        for entry in list(ctx.world.content.get(KIND, {}).values())
        if after <= entry["created_at"] and (before is None or entry["created_at"] <= before)
    ]
    entries.sort(key=lambda e: (e["created_at"], e["id"]), reverse=True)
    per_page = ctx.per_page(DEFAULT_PER_PAGE)
    page = numbered_page(len(entries), ctx.int_param("page", 1), per_page)
    next_url = str(ctx.request.url.include_query_params(page=page.page + 1, per_page=per_page))
    body = {
        "type": "activity_log.list",
        "pages": numbered_pages_object(page, next_url),
        "activity_logs": entries[page.start : page.stop],
    }
    return Reply(dumps(body), paged=True)


def list_event_types(ctx: Ctx) -> Reply:
    body = {"type": "activity_log_event_type.list", "event_types": list(event_types())}
    return Reply(dumps(body))


ROUTES = [
    ApiRoute("GET", "/admins/activity_logs", list_activity_logs),
    ApiRoute("GET", "/admins/activity_log_event_types", list_event_types, min_version=V216),
]
