"""Calls (issue 21): `GET /calls`, `GET /calls/{call_id}` and `POST /calls/search`, from 2.10
(the 2.15 spec has them; 2.10–2.15 are served the 2.15 spec's endpoints).

`GET /calls` pages by number in the spec's `cursor_pages` envelope without a `next` (the
reader stops at `total_pages`), in id order: the order of creation, not of `updated_at`, which
it cannot be filtered on either. `POST /calls/search` takes 1 to 20 `conversation_ids` (else
400 `conversation_id_limit_exceeded`, the spec's example) and returns their calls, each with
`transcript` and `transcript_status` (emulator.world.call_transcripts). The transcript text file
and the recording (`/calls/{id}/transcript`, `/recording`) are not served.
"""

from __future__ import annotations

import math
from typing import Any

from emulator.errors import ApiError, not_found, parameter_invalid
from emulator.http.middleware import ApiRoute, Ctx, Reply
from emulator.http.rendering import dumps
from emulator.world.call_transcripts import searched_call
from emulator.world.calls import KIND

V210 = (2, 10)
DEFAULT_PER_PAGE = 25
MAX_SEARCH_IDS = 20


def _calls(ctx: Ctx) -> list[dict[str, Any]]:
    return sorted(ctx.world.content.get(KIND, {}).values(), key=lambda c: int(c["id"]))


def list_calls(ctx: Ctx) -> Reply:
    calls = _calls(ctx)
    per_page = ctx.per_page(DEFAULT_PER_PAGE)
    page = ctx.int_param("page", 1)
    start = (page - 1) * per_page
    body = {
        "type": "list",
        "data": calls[start : start + per_page],
        "total_count": len(calls),
        "pages": {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(calls) / per_page),
        },
    }
    return Reply(dumps(body), paged=True)


def get_call(ctx: Ctx) -> Reply:
    call = ctx.world.content.get(KIND, {}).get(ctx.path["call_id"])
    if call is None:
        raise not_found("Not Found")
    return Reply(dumps(call))


def search_calls(ctx: Ctx) -> Reply:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    ids = body.get("conversation_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise parameter_invalid("conversation_ids must be a list of conversation ids")
    if not 1 <= len(ids) <= MAX_SEARCH_IDS:
        raise ApiError(
            400,
            "conversation_id_limit_exceeded",
            f"A list of up to {MAX_SEARCH_IDS} conversation IDs is required",
        )
    wanted = set(ids)
    found = [
        searched_call(ctx.world, call) for call in _calls(ctx) if call["conversation_id"] in wanted
    ]
    return Reply(dumps({"type": "list", "data": found}))


ROUTES = [
    ApiRoute("GET", "/calls", list_calls, min_version=V210),
    ApiRoute("POST", "/calls/search", search_calls, min_version=V210),
    ApiRoute("GET", "/calls/{call_id}", get_call, min_version=V210),
]
