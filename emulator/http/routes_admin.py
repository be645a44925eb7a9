"""`/_emulator/*`: the control plane for tests and demos (no auth, not part of Intercom)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.control import Control
from emulator.world import activity
from emulator.world.truth import truth_rows

JSON = "application/json"


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type=JSON)


def _problem(message: str, status: int = 400) -> Response:
    return _json({"error": message}, status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("body must be a JSON object")
    return value


def admin_routes(control: Control, regenerate: Callable[[], Any]) -> list[Route]:
    """`regenerate()` builds a fresh world from the original configuration (for reset)."""

    async def post_advance(request: Request) -> Response:
        try:
            body = await _body(request)
            seconds = int(body["seconds"])
            intensity = float(body.get("intensity", 1.0))
            if seconds < 0:
                raise ValueError("seconds must be >= 0")
        except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return _problem(f"expected {{'seconds': N}}: {exc}")
        with control.lock:
            summary = activity.advance(control.world, seconds, intensity)
            now = control.world.now
        return _json({"now": now, "changes": summary})

    async def post_touch(request: Request) -> Response:
        try:
            k = int((await _body(request))["k"])
        except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return _problem(f"expected {{'k': N}}: {exc}")
        with control.lock:
            changed = activity.touch(control.world, k)
        return _json({"changed": [list(pair) for pair in changed]})

    async def reset(request: Request) -> Response:
        world = regenerate()
        control.replace_world(world)
        control.reset_runtime()
        return _json({"now": world.now})

    async def get_truth(request: Request) -> Response:
        entity = request.path_params["entity"]
        try:
            with control.lock:
                rows = [orjson.dumps(row) for row in truth_rows(control.world, entity)]
        except (KeyError, ValueError) as exc:
            return _problem(f"unknown entity {entity!r}: {exc}", 404)
        body = b"\n".join(rows) + (b"\n" if rows else b"")
        return Response(body, media_type="application/x-ndjson")

    async def stats(request: Request) -> Response:
        return _json(control.stats.snapshot())

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                control.update(await _body(request))
            except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
                return _problem(str(exc))
        return _json(control.settings_dict())

    async def clock(request: Request) -> Response:
        return _json({"now": control.world.now, "timezone": control.world.timezone})

    return [
        Route("/_emulator/advance", post_advance, methods=["POST"]),
        Route("/_emulator/touch", post_touch, methods=["POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/truth/{entity}", get_truth, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/config", config, methods=["GET", "POST"]),
        Route("/_emulator/clock", clock, methods=["GET"]),
    ]
