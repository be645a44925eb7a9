"""The request pipeline every API endpoint goes through, in Intercom's order of refusals.

rate limit (429) → Accept (406) → bearer token (401) → Intercom-Version (400) → endpoint exists in
that version (400) → injected fault → latency → handler → headers (`Date` on the data clock,
`X-RateLimit-*`, `X-Request-Id`) → stats → optional mutation after a served page.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.errors import ApiError, error_body, not_found, parameter_invalid, version_invalid
from emulator.http.control import MAX_PER_PAGE, Control
from emulator.http.faults import Fault, truncate_body
from emulator.http.ratelimit import RateDecision
from emulator.versions import ApiVersion, parse_version
from emulator.world.activity import touch

log = logging.getLogger("emulator")

RATE_LIMIT_MESSAGE = "You have exceeded the rate limit. Please try again later."

JSON = "application/json; charset=utf-8"
_ACCEPTABLE = ("application/json", "application/*", "*/*")


@dataclass
class Reply:
    """What a handler returns: JSON bytes plus what the pipeline needs to know."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    paged: bool = False  # a list/search/scroll page: "mutate during pagination" applies


@dataclass
class Ctx:
    """One API request as handlers see it."""

    request: Request
    control: Control
    version: ApiVersion
    request_id: str
    body: Any = None

    @property
    def world(self) -> Any:
        return self.control.world

    @property
    def path(self) -> dict[str, str]:
        return self.request.path_params

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    def int_param(
        self, name: str, default: int, *, minimum: int = 1, maximum: int | None = None
    ) -> int:
        raw = self.query.get(name)
        return parse_int(name, raw, default, minimum=minimum, maximum=maximum)

    def per_page(self, default: int) -> int:
        return self.int_param("per_page", default, maximum=MAX_PER_PAGE)

    def flag(self, name: str) -> bool:
        return (self.query.get(name) or "").lower() == "true"


def parse_int(
    name: str, raw: Any, default: int, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """An integer parameter; out of range or not an integer → 400 parameter_invalid."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise parameter_invalid(f"{name} must be an integer")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise parameter_invalid(f"{name} must be an integer") from None
    if isinstance(raw, float) and raw != value:
        raise parameter_invalid(f"{name} must be an integer")
    if value < minimum:
        raise parameter_invalid(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        # Intercom documents 150 as the maximum; we refuse rather than clamp (API-NOTES §2).
        raise parameter_invalid(f"{name} must be less than or equal to {maximum}")
    return value


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Handler
    min_version: tuple[int, int] | None = None  # endpoint absent before this version

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


UNROUTED = "(unknown path)"  # the stats key of requests no route matches


def _unrouted(ctx: Ctx) -> Reply:
    raise not_found()


def http_date(unix_seconds: int) -> str:
    return email.utils.formatdate(unix_seconds, usegmt=True)


class _DroppedConnection:
    """ASGI response that announces a body and closes the connection half-way through it."""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self.body = body
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        raw_headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        # Returning without finishing makes the server abort the connection mid-body.


class Pipeline:
    """Builds the Starlette endpoint for each `ApiRoute`."""

    def __init__(self, control: Control) -> None:
        self.control = control
        self._jitter = random.Random(control.seed)

    def endpoint(self, route: ApiRoute) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Any:
            return await self._handle(route, request)

        handle.__name__ = route.key
        return handle

    async def unrouted(self, request: Request) -> Any:
        """A request no route matches (or with an unsupported method): 404 `not_found`."""
        return await self._handle(ApiRoute(request.method, UNROUTED, _unrouted), request)

    # ------------------------------------------------------------------------------------------
    async def _handle(self, route: ApiRoute, request: Request) -> Any:
        control = self.control
        request_id = control.request_ids.next()
        decision = control.limiter.acquire()
        try:
            reply, fault = await self._serve(route, request, request_id, decision)
        except ApiError as exc:
            reply, fault = (
                Reply(error_body(exc.code, exc.message, request_id), exc.status, exc.headers),
                None,
            )
        except Exception:  # a bug in the emulator: answer like Intercom's 500, keep the traceback
            log.exception("emulator error on %s", route.key)
            reply = Reply(error_body("server_error", "Server Error", request_id), 500)
            fault = None
        with control.lock:
            headers = self._headers(decision, request_id)
            if reply.paged and reply.status == 200 and control.settings.mutate_during_pagination:
                touch(control.world, control.settings.mutate_during_pagination)
        headers.update(reply.headers)
        control.stats.record(route.key, reply.status)
        return self._response(reply, headers, fault)

    async def _serve(
        self, route: ApiRoute, request: Request, request_id: str, decision: RateDecision
    ) -> tuple[Reply, Any]:
        control = self.control
        settings = control.settings
        if not decision.allowed:
            raise ApiError(429, "rate_limit_exceeded", RATE_LIMIT_MESSAGE)
        accept = request.headers.get("accept")
        if accept and not any(kind in accept for kind in _ACCEPTABLE):
            raise ApiError(406, "not_acceptable", "The Accept header must allow application/json")
        self._authenticate(request)
        version = parse_version(request.headers.get("intercom-version"), settings.default_version)
        if route.min_version and version.number < route.min_version:
            raise version_invalid(f"{route.path} is not available in version {version.name}")

        injector = control.faults
        fault = injector.decide(route.key) if injector else None
        await self._delay(route, fault)
        replaced = self._fault_reply(fault, request, request_id)
        if replaced is not None:
            return replaced, None

        ctx = Ctx(request, control, version, request_id)
        if request.method == "POST":
            ctx.body = await _json_body(request)
        with control.lock:
            reply = route.handler(ctx)
        return reply, fault

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "Access Token Invalid")
        if token in self.control.settings.revoked_tokens:
            raise ApiError(401, "token_revoked", "Token revoked")
        if token != self.control.token:
            raise ApiError(401, "unauthorized", "Access Token Invalid")

    async def _delay(self, route: ApiRoute, fault: Fault | None) -> None:
        """Configured latency (+ seeded jitter), the fault config's latency, a fault's delay."""
        settings = self.control.settings
        seconds = settings.latency_ms / 1000
        if settings.latency_jitter_ms:
            seconds += self._jitter.uniform(0, settings.latency_jitter_ms) / 1000
        if self.control.faults is not None:
            seconds += self.control.faults.latency(route.key)
        if fault is not None:
            seconds += fault.delay_seconds
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _fault_reply(self, fault: Fault | None, request: Request, request_id: str) -> Reply | None:
        """The reply replacing the handler's for faults that replace it (None otherwise)."""
        if fault is None or fault.kind in ("drop", "malformed"):
            return None  # applied to the real response later
        control = self.control
        if fault.kind == "scroll_expire":
            if not request.query_params.get("scroll_param"):
                return None  # nothing to expire on a first scroll call
            control.scrolls.expire_all()
            return Reply(error_body("not_found", "scroll parameter not found", request_id), 404)
        if fault.kind == "rate_limit_burst":
            control.limiter.force_429(max(0, fault.count - 1))
            return Reply(error_body("rate_limit_exceeded", RATE_LIMIT_MESSAGE, request_id), 429)
        # "error" and "timeout" (the latter after sleeping past the client's timeout)
        if fault.expire_scroll:
            control.scrolls.expire_all()
        status = fault.status or 500
        if fault.html and fault.body is not None:
            return Reply(fault.body.encode(), status, {"Content-Type": "text/html"})
        code = fault.code or "server_error"
        return Reply(error_body(code, fault.message or "Server Error", request_id), status)

    def _headers(self, decision: RateDecision, request_id: str) -> dict[str, str]:
        # The answering host's clock, which may be skewed from the data clock (a setting).
        now = self.control.world.now + self.control.settings.date_skew_seconds
        return {
            "Date": http_date(now),
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(now + decision.reset_in_whole_seconds),
            "X-Request-Id": request_id,
        }

    def _response(self, reply: Reply, headers: dict[str, str], fault: Fault | None) -> Any:
        body = reply.body
        media_type = reply.headers.get("Content-Type", JSON)
        if fault is not None and fault.kind == "drop":
            return _DroppedConnection(body, {**headers, "Content-Type": media_type})
        if fault is not None and fault.kind == "malformed" and reply.status == 200:
            body = truncate_body(body, fault.truncate_at or 0.5)  # 200 with broken JSON
        return Response(body, status_code=reply.status, headers=headers, media_type=media_type)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise parameter_invalid("Request body is not valid JSON") from None
