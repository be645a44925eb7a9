"""The Intercom HTTP client: httpx underneath, one retry policy, shared pacing.

Sync and thread-based on purpose: dlt resources are sync generators, and detail fetches
(`get_many`) fan out on a small thread pool that shares this client's rate-limit pacer and
statistics (each thread sends through an httpx client of its own: `_http`).

What a call does (`request`): wait for the pacer (pacing.py) → send → feed the rate-limit
headers back to the pacer and remember `Date` (`server_time()`) → 2xx with a JSON object:
return it; 429: wait `Reset − Date` (0…11 s), retry; 5xx/408, timeouts, dropped
connections, 2xx bodies that are not JSON: back off (retry.py) and retry, up to
`max_retries`, then `ApiUnavailableError` (at once for a refused connection or an unknown
host before the host has answered once: a wrong base URL, not a fault); 401/403 → `AuthError`; 404/410 → `NotFoundError`;
400 `intercom_version_invalid` → `ApiVersionError`; other 4xx → `IntercomApiError`. Error
messages say what to fix and never contain the token. Retries are logged on the
`intercom_sync` logger (INFO for the first and for 429s, WARNING after).
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any

import httpx
import orjson

from . import pagination
from .errors import (
    ApiUnavailableError,
    ApiVersionError,
    AuthError,
    IntercomApiError,
    NotFoundError,
)
from .pacing import RateLimitInfo, RateLimitPacer, parse_http_date
from .retry import (
    FATAL_BEFORE_FIRST_ANSWER,
    RETRYABLE_EXCEPTIONS,
    RetryPolicy,
    is_retryable_status,
)
from .settings import DEFAULT_MAX_CONCURRENCY, MAX_PAGE_SIZE

logger = logging.getLogger("intercom_sync")

REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
TOKEN_HELP = "check SOURCES__INTERCOM__ACCESS_TOKEN / INTERCOM_ACCESS_TOKEN and the region"
_REDACTED = "<redacted>"
_MIN_REDACTED_TOKEN_CHARS = 8
_BODY_SNIPPET_CHARS = 200


@dataclass
class ClientStats:
    """Counters shared by all threads of one client (read them after a run)."""

    requests: int = 0  # HTTP attempts sent, retries included
    retries: int = 0
    rate_limited: int = 0  # 429 answers seen
    transport_errors: int = 0  # timeouts, dropped/refused connections
    by_status: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def add_status(self, status: int) -> None:
        with self._lock:
            self.by_status[status] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "transport_errors": self.transport_errors,
                "by_status": dict(self.by_status),
            }


class _Transient(Exception):
    """Internal: an attempt failed in a way worth retrying."""

    def __init__(
        self, cause: str, *, rate_limited: bool = False, wait_s: float | None = None
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.rate_limited = rate_limited
        self.wait_s = wait_s  # server-given wait (429), else the policy's backoff applies


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every httpx client of the process: httpx loads the CA bundle into a
    context of its own for each client it makes (~0.9 MB and ~16 ms of CPU each), and a client
    makes one per thread, a process one client per sync."""
    return httpx.create_ssl_context()


class IntercomClient:
    """Talks to one Intercom workspace. Thread-safe; use as a context manager or `close()`.

    `region` (us|eu|au) picks the base URL unless `base_url` is given. `timeout` is httpx's
    (seconds, or an `httpx.Timeout`). `max_concurrency` bounds `get_many`. `backoff_*` shape
    the retry waits; `scroll_wait_s` / `scroll_max_restarts` the company scroll's patience.
    `transport` is for tests/proxies (any httpx transport).
    """

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str | None = None,
        region: str = "us",
        api_version: str = "2.16",
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 8,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        transport: httpx.BaseTransport | None = None,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        scroll_wait_s: float = 5.0,
        scroll_max_restarts: int = pagination.SCROLL_MAX_RESTARTS,
    ) -> None:
        if not access_token or not access_token.strip():
            raise AuthError(f"No Intercom access token given: {TOKEN_HELP}", status=0)
        if base_url is None:
            try:
                base_url = REGION_BASE_URLS[region.lower()]
            except KeyError:
                raise ValueError(
                    f"unknown Intercom region {region!r}: use one of {sorted(REGION_BASE_URLS)} "
                    "or pass base_url"
                ) from None
        self.base_url = _checked_base_url(base_url)
        self.api_version = str(api_version)
        _check_at_least("max_concurrency", max_concurrency, 1)
        _check_at_least("max_retries", max_retries, 0)
        _check_at_least("backoff_base_s", backoff_base_s, 0)
        _check_at_least("backoff_max_s", backoff_max_s, 0)
        if not isinstance(timeout, httpx.Timeout):
            _check_at_least("timeout", timeout, 0.001)
        self.max_concurrency = int(max_concurrency)
        self.retry_policy = RetryPolicy(max_retries, backoff_base_s, backoff_max_s)
        self.scroll_wait_s = scroll_wait_s
        self.scroll_max_restarts = scroll_max_restarts
        self.stats = ClientStats()
        self.pacer = RateLimitPacer()
        self._token = access_token.strip()
        self._last_server_time: int | None = None
        self._answered = False  # any response yet (retry.FATAL_BEFORE_FIRST_ANSWER)
        self._me: dict | None = None
        self._me_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # One httpx client per thread (`_http`), all alike: httpx's connection pool takes a
        # lock for every request, and 32 threads sharing one pool spent ~20 % more CPU
        # (measured on 50,000 conversation fetches: 67 -> 55 s, half the context switches).
        self._http_settings: dict[str, Any] = {
            "base_url": self.base_url,
            "headers": {
                "Authorization": f"Bearer {self._token}",
                "Intercom-Version": self.api_version,
                "Accept": "application/json",
            },
            "timeout": timeout,
            "transport": transport,
            "verify": tls_context(),
            # a thread sends one request at a time
            "limits": httpx.Limits(max_connections=2, max_keepalive_connections=2),
            "follow_redirects": False,
            "cookies": _NoCookies(),
        }
        self._thread_http = threading.local()
        self._http_clients: list[httpx.Client] = []
        self._http_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the token
        return f"IntercomClient(base_url={self.base_url!r}, api_version={self.api_version!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        with self._http_lock:
            clients, self._http_clients = self._http_clients, []
        for http in clients:
            http.close()

    def __enter__(self) -> IntercomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plain requests ----------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Mapping[str, Any]) -> dict:
        return self.request("POST", path, json=json)

    def me(self) -> dict:
        """`GET /me` (the token's admin and its workspace), read once per client: the CLI's
        token check and the source's workspace facts share one request."""
        with self._me_lock:
            if self._me is None:
                self._me = self.get("/me")
            return self._me

    def server_time(self) -> int:
        """Unix seconds of the last response's `Date` (the server's clock), else local time."""
        last = self._last_server_time
        return last if last is not None else int(time.time())

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        max_transient_retries: int | None = None,
    ) -> dict:
        """One API call under the retry policy. `max_transient_retries` caps retries of
        5xx/timeouts/bad bodies for callers that must not repeat a request blindly (the
        scroll); 429s are always retried (a rejected request did nothing)."""
        policy = self.retry_policy
        transient_cap = (
            policy.max_retries if max_transient_retries is None else max_transient_retries
        )
        failures = 0
        transient_failures = 0
        while True:
            try:
                return self._attempt(method, path, params, json)
            except _Transient as failure:
                failures += 1
                if not failure.rate_limited:
                    transient_failures += 1
                if failures > policy.max_retries or transient_failures > transient_cap:
                    raise ApiUnavailableError(
                        self._redact(
                            f"Intercom API at {self.base_url} unavailable: {method} {path} "
                            f"failed after {failures} attempt(s), last: {failure.cause}. "
                            "Check base_url/region and the network, or retry later."
                        ),
                        method=method,
                        path=path,
                        attempts=failures,
                    ) from None
                # A 429 says when the window resets (Reset − Date); other failures back off.
                delay = failure.wait_s if failure.wait_s else policy.backoff_s(failures)
                self.stats.add("retries")
                logger.log(
                    logging.INFO if failure.rate_limited or failures == 1 else logging.WARNING,
                    "Intercom %s %s: %s; retry %d/%d in %.1fs",
                    method,
                    path,
                    self._redact(failure.cause),
                    failures,
                    policy.max_retries,
                    delay,
                )
                if delay > 0:
                    time.sleep(delay)

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
    ) -> dict:
        ticket = self.pacer.acquire()
        sent_at = time.monotonic()
        self.stats.add("requests")
        try:
            response, content = self._send(method, path, params, json)
        except RETRYABLE_EXCEPTIONS as exc:
            self.stats.add("transport_errors")
            if not self._answered and isinstance(exc, FATAL_BEFORE_FIRST_ANSWER):
                raise ApiUnavailableError(
                    self._redact(
                        f"Intercom API at {self.base_url} unavailable: {method} {path} failed "
                        f"after 1 attempt(s), last: {type(exc).__name__}: {exc} (not retried: "
                        "the host has not answered once). Check base_url/region for a typo, "
                        "and the network."
                    ),
                    method=method,
                    path=path,
                    attempts=1,
                ) from None
            raise _Transient(f"{type(exc).__name__}: {exc}") from None
        self._answered = True
        received_at = time.monotonic()
        self.pacer.observe(ticket, sent_at, received_at, response.headers)
        server_time = parse_http_date(response.headers.get("date"))
        if server_time is not None:
            self._last_server_time = server_time
        status = response.status_code
        self.stats.add_status(status)
        if 200 <= status < 300:
            return self._parse_ok(response, content)
        if status == 429:
            self.stats.add("rate_limited")
            info = RateLimitInfo.from_headers(response.headers)
            raise _Transient(
                "429 rate limited", rate_limited=True, wait_s=info.window_left_s if info else None
            )
        if is_retryable_status(status):
            raise _Transient(f"HTTP {status}: {self._snippet(content)}")
        raise self._error_for(response, content, method, path)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
    ) -> tuple[httpx.Response, bytes]:
        """The response and its body, read from the stream and not kept on the response: httpx's
        response and its stream refer to each other, so a kept body (a contacts page is
        ~350 KB) lived until Python's cyclic garbage collector next ran, not until it was
        parsed."""
        http = self._http()
        request = http.build_request(method, path, params=params, json=json)
        response = http.send(request, stream=True)
        try:
            return response, b"".join(response.iter_bytes())
        finally:
            response.close()

    def _http(self) -> httpx.Client:
        """This thread's httpx client (created on first use, closed by `close`)."""
        http = getattr(self._thread_http, "client", None)
        if http is None:
            http = httpx.Client(**self._http_settings)
            with self._http_lock:
                self._http_clients.append(http)
            self._thread_http.client = http
        return http

    def _parse_ok(self, response: httpx.Response, content: bytes) -> dict:
        if not content:
            return {}
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise _Transient(
                f"HTTP {response.status_code} with a body that is not JSON: "
                f"{self._snippet(content)}"
            ) from None
        if not isinstance(body, dict):
            raise _Transient(f"HTTP {response.status_code} with a JSON {type(body).__name__}")
        return body

    # -- errors ------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Belt and braces: messages are built without the token, but a server may echo it.
        (Real tokens are long; a toy token of a few letters would garble every message.)"""
        if len(self._token) >= _MIN_REDACTED_TOKEN_CHARS and self._token in text:
            return text.replace(self._token, _REDACTED)
        return text

    def _snippet(self, content: bytes) -> str:
        text = content[: _BODY_SNIPPET_CHARS * 4].decode("utf-8", "replace")
        text = " ".join(text[:_BODY_SNIPPET_CHARS].split())
        return self._redact(text) or "(empty body)"

    def _error_for(
        self, response: httpx.Response, content: bytes, method: str, path: str
    ) -> Exception:
        status = response.status_code
        code, api_message, request_id = _error_fields(content)
        detail = f"{status} {code or 'error'}: {api_message or self._snippet(content)}"
        if code is None:
            # No `error.list` envelope: something other than Intercom answered.
            detail += f" (not an Intercom API answer: is base_url {self.base_url} right?)"
        where = f"{method} {path}"
        if status == 401:
            return AuthError(
                self._redact(
                    f"Intercom rejected the access token (unauthorized): {TOKEN_HELP} "
                    f"(base URL {self.base_url}; {where} answered {detail})"
                ),
                status=status,
                code=code,
            )
        if status == 403:
            return AuthError(
                self._redact(
                    f"Intercom refused {where} ({detail}): the token's app lacks the "
                    "permission for it, or the workspace's plan does not include this API"
                ),
                status=status,
                code=code,
            )
        fields = {
            "status": status,
            "code": code,
            "api_message": api_message,
            "method": method,
            "path": path,
            "request_id": request_id,
        }
        if status in (404, 410):
            return NotFoundError(self._redact(f"{where}: {detail}"), **fields)
        if code == "intercom_version_invalid":
            return ApiVersionError(
                self._redact(
                    f"Intercom API version {self.api_version} does not offer {where} "
                    f"({detail}); choose an api_version that has this endpoint"
                ),
                **fields,
            )
        return IntercomApiError(self._redact(f"Intercom answered {where} with {detail}"), **fields)

    # -- concurrency -------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="intercom-get"
                )
            return self._pool

    def _get_or_none(self, path: str, params: Mapping[str, Any] | None) -> dict | None:
        try:
            return self.get(path, params)
        except NotFoundError:
            return None

    def get_many(
        self, paths: Iterable[str], params: Mapping[str, Any] | None = None
    ) -> Iterator[tuple[str, dict | None]]:
        """GET every path with up to `max_concurrency` in flight; yields `(path, body)` as
        they complete, body None for 404/410 (the record vanished since it was listed).
        Reads `paths` lazily. Any other error propagates and cancels what is queued."""
        pool = self._executor()
        queue_limit = self.max_concurrency * 2
        pending: dict[Future, str] = {}
        try:
            for path in paths:
                pending[pool.submit(self._get_or_none, path, params)] = path
                if len(pending) >= queue_limit:
                    yield from _drain(pending, FIRST_COMPLETED)
            while pending:
                yield from _drain(pending, FIRST_COMPLETED)
        finally:
            for future in pending:
                future.cancel()

    # -- pagination families (see pagination.py) -----------------------------------------------

    def iter_cursor_pages(
        self,
        path: str,
        *,
        items_key: str,
        per_page: int = MAX_PAGE_SIZE,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict]]:
        return pagination.iter_cursor_pages(
            self, path, items_key=items_key, per_page=per_page, params=params
        )

    def iter_search(
        self,
        path: str,
        query: dict,
        *,
        items_key: str,
        sort: dict | None = None,
        per_page: int = MAX_PAGE_SIZE,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict]]:
        return pagination.iter_search(
            self, path, query, items_key=items_key, sort=sort, per_page=per_page, params=params
        )

    def iter_numbered_pages(
        self,
        path: str,
        *,
        items_key: str,
        per_page: int = 50,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict]]:
        return pagination.iter_numbered_pages(
            self, path, items_key=items_key, per_page=per_page, params=params
        )

    def iter_scroll(
        self, path: str = "/companies/scroll", *, items_key: str = "data"
    ) -> Iterator[list[dict]]:
        return pagination.iter_scroll(
            self,
            path,
            items_key=items_key,
            max_restarts=self.scroll_max_restarts,
            scroll_wait_s=self.scroll_wait_s,
        )


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing. The API authenticates by token alone, and httpx files
    every response's `Set-Cookie` headers through `http.cookiejar`, which rebuilds the
    headers as an `email.message.Message` each time: ~5 % of a request's CPU (measured on
    3,000 conversation fetches: 0.271 -> 0.256 ms each)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def _checked_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash; ValueError unless it is an http(s) URL."""
    problem = f"base_url {base_url!r} is not an http(s) URL such as https://api.intercom.io"
    try:
        url = httpx.URL(base_url.strip())
    except httpx.InvalidURL:
        raise ValueError(problem) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(problem)
    return base_url.strip().rstrip("/")


def _check_at_least(name: str, value: float, minimum: float) -> None:
    if value < minimum:
        raise ValueError(f"{name} = {value!r} must be at least {minimum:g}")


def _drain(pending: dict[Future, str], return_when: str) -> Iterator[tuple[str, dict | None]]:
    done, _ = wait(list(pending), return_when=return_when)
    for future in done:
        path = pending.pop(future)
        yield path, future.result()


def _error_fields(content: bytes) -> tuple[str | None, str | None, str | None]:
    """(code, message, request_id) from Intercom's `error.list` envelope, leniently."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else body
    if not isinstance(first, dict):
        return None, None, body.get("request_id")
    code = first.get("code") or first.get("type")
    message = first.get("message")
    return (
        str(code) if code else None,
        str(message) if message else None,
        body.get("request_id"),
    )
