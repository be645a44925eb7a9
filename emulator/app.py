"""The ASGI application: Intercom's REST API over an `emulator.world.World`, plus `/_emulator/`.

    from emulator.app import create_app
    app = create_app(control)          # control = emulator.control.Control(world, token=...)

Route handlers live in `routes_*.py`, all behind `emulator.pipeline.Pipeline` (auth, versions,
rate limit, faults, headers). Unknown paths and methods answer Intercom's JSON 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator import routes_companies, routes_contacts, routes_conversations, routes_lookups
from emulator.control import Control
from emulator.errors import error_body
from emulator.pipeline import ApiRoute, Pipeline, http_date
from emulator.routes_admin import admin_routes

API_ROUTES: list[ApiRoute] = [
    *routes_lookups.ROUTES,
    *routes_contacts.ROUTES,
    *routes_companies.ROUTES,
    *routes_conversations.ROUTES,
]


def create_app(control: Control, regenerate: Callable[[], Any] | None = None) -> Starlette:
    """`regenerate` rebuilds the world for `POST /_emulator/reset` (default: same config)."""
    pipeline = Pipeline(control)

    def default_regenerate() -> Any:
        return type(control.world).generate(control.world.cfg)

    routes = [
        *admin_routes(control, regenerate or default_regenerate),
        *(Route(r.path, pipeline.endpoint(r), methods=[r.method]) for r in API_ROUTES),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        # Intercom answers unknown paths and unsupported methods with a JSON 404.
        request_id = control.request_ids.next()
        headers = {"Date": http_date(control.world.now), "X-Request-Id": request_id}
        status = getattr(exc, "status_code", 404)
        if status in (404, 405):
            body = error_body("not_found", "Resource Not Found", request_id)
            return Response(body, 404, headers=headers, media_type="application/json")
        body = error_body("server_error", "Server Error", request_id)
        return Response(body, status, headers=headers, media_type="application/json")

    return Starlette(routes=routes, exception_handlers={HTTPException: not_found})
