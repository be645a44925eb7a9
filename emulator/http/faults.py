"""Seeded fault injection: the ways Intercom (and the network in front of it) misbehave.

Config (`FaultConfig.from_dict` / `from_json`): a global `FaultSettings` plus per-endpoint
overrides keyed `"METHOD /path"` (`"POST /contacts/search"`, `"GET /conversations/{id}"`), a
method-less `"/path"`, or `"*"`. Any `{…}` segment in a key matches any segment, so
`{id}` and `{conversation_id}` are interchangeable. The most specific key wins; its fields
override the global ones (fields it leaves out fall through to `"*"`, then global).

```json
{"error_rate": 0.02, "latency_ms": 20, "jitter_ms": 10,
 "endpoints": {"POST /contacts/search": {"error_rate": 0.2, "html_error_share": 1.0},
               "GET /companies/scroll": {"scroll_expire_rate": 0.1}}}
```
(endpoint keys may also sit at the top level instead of under `"endpoints"`.)

`FaultInjector(config, seed).decide(key)` returns a `Fault` or None. Every call draws the same
number of random numbers, so the outcome depends only on (seed, config, sequence of calls).
Kinds and what the HTTP layer should do:
- `error`: answer `status` (500/502/503/504). `html=True` -> `body` (canned gateway page,
  `text/html`); else an `error.list` with `code`/`message`. `expire_scroll=True` (a scroll
  error: Intercom's 500 asking to restart the scroll) -> also expire the open scroll.
- `timeout`: sleep `delay_seconds`, then answer like `error` (504 gateway page) — a client with
  a shorter timeout sees a read timeout.
- `drop`: close the connection mid-response.
- `malformed`: 200 whose JSON body is cut at `truncate_at` (fraction of its length; see
  `truncate_body`).
- `rate_limit_burst`: 429 now and for the next `count - 1` requests (call
  `RateLimiter.force_429(count - 1)`).
- `scroll_expire`: expire the open scroll and answer as for an unknown scroll param (404).
Scroll kinds are only drawn for scroll endpoints (keys containing `/scroll`).
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

FaultKind = Literal["error", "timeout", "drop", "malformed", "rate_limit_burst", "scroll_expire"]

GATEWAY_HTML: dict[int, str] = {
    502: (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
    ),
    503: (
        "<html><body><h1>503 Service Unavailable</h1>\n"
        "No server is available to handle this request.\n</body></html>\n"
    ),
    504: (
        "<html><head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
        "<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n"
    ),
}
# JSON error.list code/message per status when the error is not an HTML gateway page.
JSON_ERRORS: dict[int, tuple[str, str]] = {
    500: ("server_error", "Server Error"),
    502: ("server_error", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("request_timeout", "Request Timeout"),
}
SCROLL_ERROR_MESSAGE = (
    "Request failed due to an internal network error. Please restart the scroll operation."
)


@dataclass(frozen=True)
class FaultSettings:
    """Probabilities are per request, in [0, 1]; the exclusive ones must sum to <= 1."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0  # extra uniform [0, jitter_ms) per request
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)  # drawn uniformly
    html_error_share: float = 0.5  # of 502/503/504 errors, the share served as HTML pages
    drop_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    malformed_rate: float = 0.0
    burst_429_rate: float = 0.0
    burst_length: int = 5
    scroll_error_rate: float = 0.0
    scroll_expire_rate: float = 0.0

    def validate(self) -> None:
        for name in (*_RATES, "html_error_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        if sum(getattr(self, name) for name in _RATES) > 1 + 1e-9:
            raise ValueError("fault rates add up to more than 1")
        for name in ("latency_ms", "jitter_ms", "timeout_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.burst_length, int) or self.burst_length < 1:
            raise ValueError("burst_length must be an int >= 1")
        if not self.error_statuses or any(s not in JSON_ERRORS for s in self.error_statuses):
            raise ValueError(f"error_statuses must be a non-empty subset of {sorted(JSON_ERRORS)}")


# Exclusive outcomes, in the order their probability ranges are laid out on [0, 1).
_RATES = (
    "drop_rate",
    "timeout_rate",
    "error_rate",
    "malformed_rate",
    "burst_429_rate",
    "scroll_error_rate",
    "scroll_expire_rate",
)
_SCROLL_RATES = frozenset({"scroll_error_rate", "scroll_expire_rate"})
_SETTING_NAMES = frozenset(f.name for f in fields(FaultSettings))


def _settings_overrides(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: fault settings must be an object")
    unknown = set(raw) - _SETTING_NAMES
    if unknown:
        raise ValueError(f"{where}: unknown fault setting(s) {sorted(unknown)}")
    out = dict(raw)
    if "error_statuses" in out:
        statuses = out["error_statuses"]
        if not isinstance(statuses, list | tuple):
            raise ValueError(f"{where}: error_statuses must be a list")
        out["error_statuses"] = tuple(statuses)
    return out


def _is_endpoint_key(key: str) -> bool:
    return key == "*" or key.startswith("/") or " " in key


@dataclass(frozen=True)
class FaultConfig:
    """Global settings plus partial per-endpoint overrides (see the module docstring)."""

    default: FaultSettings = field(default_factory=FaultSettings)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultConfig:
        if not isinstance(raw, dict):
            raise ValueError("fault config must be an object")
        raw = dict(raw)
        endpoints_raw = raw.pop("endpoints", {}) or {}
        if not isinstance(endpoints_raw, dict):
            raise ValueError("endpoints must be an object")
        endpoints_raw = dict(endpoints_raw)
        for key in [k for k in raw if _is_endpoint_key(k)]:
            endpoints_raw[key] = raw.pop(key)
        default = FaultSettings(**_settings_overrides(raw, "global"))
        endpoints = {key: _settings_overrides(value, key) for key, value in endpoints_raw.items()}
        config = cls(default, endpoints)
        config.validate()
        return config

    @classmethod
    def from_json(cls, text: str) -> FaultConfig:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"fault config is not JSON: {exc}") from None
        return cls.from_dict(raw)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self.default)
        out["error_statuses"] = list(self.default.error_statuses)
        out["endpoints"] = {key: dict(value) for key, value in self.endpoints.items()}
        return out

    def validate(self) -> None:
        self.default.validate()
        for key in self.endpoints:
            self.settings_for(key).validate()

    def settings_for(self, endpoint_key: str) -> FaultSettings:
        """Global settings overlaid with `"*"`, then with the best-matching endpoint entry."""
        merged = self.default
        if "*" in self.endpoints:
            merged = replace(merged, **self.endpoints["*"])
        best = _best_match(self.endpoints, endpoint_key)
        if best is not None and best != "*":
            merged = replace(merged, **self.endpoints[best])
        return merged


def _split(key: str) -> tuple[str | None, list[str]]:
    method, _, path = key.strip().rpartition(" ")
    return (method.upper() or None), [s for s in path.split("/") if s]


def _is_template(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _match_score(pattern: str, endpoint_key: str) -> int | None:
    """How specifically `pattern` matches `endpoint_key` (higher is better), or None."""
    method, segments = _split(pattern)
    req_method, req_segments = _split(endpoint_key)
    if method not in (None, "*") and method != req_method:
        return None
    if len(segments) != len(req_segments):
        return None
    score = 0
    for mine, theirs in zip(segments, req_segments, strict=False):
        if _is_template(mine):
            continue
        if mine != theirs:
            return None
        score += 2
    return score + (1 if method not in (None, "*") else 0)


def _best_match(endpoints: dict[str, Any], endpoint_key: str) -> str | None:
    best, best_score = None, -1
    for pattern in endpoints:
        if pattern == "*":
            continue
        score = _match_score(pattern, endpoint_key)
        if score is not None and score > best_score:
            best, best_score = pattern, score
    return best


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour (see the module docstring for how to serve each kind)."""

    kind: FaultKind
    status: int | None = None
    html: bool = False
    body: str | None = None  # the HTML page when `html`
    code: str | None = None  # error.list code when not `html`
    message: str | None = None
    delay_seconds: float = 0.0
    truncate_at: float | None = None  # malformed: keep this fraction of the body
    count: int = 1  # rate_limit_burst: 429s including this one
    expire_scroll: bool = False

    @property
    def delay(self) -> float:
        """Alias of `delay_seconds`."""
        return self.delay_seconds


def truncate_body(body: bytes, fraction: float) -> bytes:
    """Cut a JSON body so that it no longer parses (at least one byte is always removed)."""
    if len(body) <= 1:
        return b""
    keep = min(len(body) - 1, max(1, int(len(body) * fraction)))
    return body[:keep]


class FaultInjector:
    """Draws faults for requests; thread-safe, deterministic per (seed, call sequence)."""

    def __init__(self, config: FaultConfig, seed: int = 0) -> None:
        self.config = config
        self._rng = random.Random(f"faults:{seed}")
        self._latency_rng = random.Random(f"latency:{seed}")
        self._lock = threading.Lock()
        self._cache: dict[str, FaultSettings] = {}

    def _settings(self, endpoint_key: str) -> FaultSettings:
        settings = self._cache.get(endpoint_key)
        if settings is None:
            settings = self._cache[endpoint_key] = self.config.settings_for(endpoint_key)
        return settings

    def latency(self, endpoint_key: str) -> float:
        """Seconds to wait before answering (latency + jitter), from its own random stream."""
        settings = self._settings(endpoint_key)
        with self._lock:
            jitter = self._latency_rng.random() * settings.jitter_ms
        return (settings.latency_ms + jitter) / 1000

    def decide(self, endpoint_key: str) -> Fault | None:
        settings = self._settings(endpoint_key)
        with self._lock:  # always four draws, whatever the outcome
            u_kind, u_status, u_html, u_frac = (self._rng.random() for _ in range(4))
        is_scroll = "/scroll" in endpoint_key
        edge = 0.0
        for rate_name in _RATES:
            if rate_name in _SCROLL_RATES and not is_scroll:
                continue
            edge += getattr(settings, rate_name)
            if u_kind < edge:
                return _build(rate_name, settings, u_status, u_html, u_frac)
        return None


def _error(status: int, html: bool, delay: float = 0.0) -> Fault:
    if html:
        return Fault("error", status, True, body=GATEWAY_HTML[status], delay_seconds=delay)
    code, message = JSON_ERRORS[status]
    return Fault("error", status, False, code=code, message=message, delay_seconds=delay)


def _build(
    rate_name: str, settings: FaultSettings, u_status: float, u_html: float, u_frac: float
) -> Fault:
    if rate_name == "drop_rate":
        return Fault("drop")
    if rate_name == "timeout_rate":
        return Fault(
            "timeout",
            504,
            True,
            body=GATEWAY_HTML[504],
            delay_seconds=settings.timeout_seconds,
        )
    if rate_name == "error_rate":
        statuses = settings.error_statuses
        status = statuses[min(int(u_status * len(statuses)), len(statuses) - 1)]
        html = status in GATEWAY_HTML and u_html < settings.html_error_share
        return _error(status, html)
    if rate_name == "malformed_rate":
        return Fault("malformed", 200, truncate_at=0.1 + 0.8 * u_frac)
    if rate_name == "burst_429_rate":
        return Fault(
            "rate_limit_burst", 429, code="rate_limit_exceeded", count=settings.burst_length
        )
    if rate_name == "scroll_error_rate":
        return Fault(
            "error",
            500,
            code="server_error",
            message=SCROLL_ERROR_MESSAGE,
            expire_scroll=True,
        )
    return Fault("scroll_expire", 404, code="not_found", message="scroll parameter not found")
