"""The ASGI application: Intercom's REST API over an `emulator.world.World`, plus `/_emulator/`.

    from emulator.http.app import create_app
    app = create_app(control)          # control = emulator.http.control.Control(world, token=...)

Route handlers live in `routes_*.py`, all behind `emulator.http.middleware.Pipeline` (auth, versions,
rate limit, faults, headers). Unknown paths and methods answer Intercom's JSON 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from emulator.http import (
    routes_audit,
    routes_calls,
    routes_companies,
    routes_contacts,
    routes_content,
    routes_conversations,
    routes_lookups,
    routes_publishing,
)
from emulator.http.control import Control
from emulator.http.middleware import ApiRoute, Pipeline
from emulator.http.routes_admin import admin_routes
from emulator.world.generate import generate_world

API_ROUTES: list[ApiRoute] = [
    *routes_audit.ROUTES,  # before `/admins/{id}`: Starlette takes the first match
    *routes_lookups.ROUTES,
    *routes_contacts.ROUTES,
    *routes_companies.ROUTES,
    *routes_conversations.ROUTES,
    *routes_content.ROUTES,
    *routes_publishing.ROUTES,
    *routes_calls.ROUTES,
]


def create_app(control: Control, regenerate: Callable[[], Any] | None = None) -> Starlette:
    """`regenerate` rebuilds the world for `POST /_emulator/reset` (default: same config)."""
    pipeline = Pipeline(control)

    def default_regenerate() -> Any:
        return generate_world(control.world.cfg)

    routes = [
        *admin_routes(control, regenerate or default_regenerate),
        *(Route(r.path, pipeline.endpoint(r), methods=[r.method]) for r in API_ROUTES),
    ]

    async def unrouted(request: Request, exc: Exception) -> Any:
        # Unknown paths and unsupported methods: Intercom's JSON 404, through the same
        # pipeline (rate limit, auth, headers) as every API call.
        return await pipeline.unrouted(request)

    return Starlette(routes=routes, exception_handlers={HTTPException: unrouted})
