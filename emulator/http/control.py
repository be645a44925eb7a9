"""Runtime settings of a running emulator and the per-server state that goes with them.

Everything here can be changed while the server runs: from Python (`emu.control.update(...)`)
or over HTTP (`POST /_emulator/config` with the same keys). The world itself lives elsewhere;
`Control` only holds what the HTTP layer needs to be strict (limiter, scroll lock, faults …).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from emulator.errors import RequestIds
from emulator.http.faults import FaultConfig, FaultInjector
from emulator.http.queries import Generations, MatchCache, Orderings
from emulator.http.ratelimit import RateLimiter
from emulator.http.rendering import RenderCache
from emulator.http.scroll import ScrollRegistry
from emulator.versions import KNOWN_VERSIONS

if TYPE_CHECKING:
    from emulator.world import World

DEFAULT_TOKEN = "emulator-token"  # a fixed test credential, not a secret
MAX_PER_PAGE = 150


@dataclass
class Settings:
    """The knobs. Field names are also the keys accepted by `POST /_emulator/config`."""

    default_version: str = "2.16"  # served when a request has no Intercom-Version header
    rate_limit: int | None = None  # requests per window; None = unlimited
    # Intercom counts requests in 10-second windows; a test may shorten the window to make its
    # 429 waits (until `X-RateLimit-Reset`) short: the same behaviour on a shorter clock
    rate_limit_window_seconds: int = 10
    latency_ms: float = 0.0  # added to every API response
    latency_jitter_ms: float = 0.0  # plus a seeded uniform 0..jitter
    faults: dict[str, Any] | None = None  # FaultConfig as a dict (see emulator/http/faults.py)
    index_lag_seconds: int = 0  # search ignores records created < N s before world.now
    # conversation/ticket search: do `>`/`<` include the bound? (the spec's "Greater (or equal)
    # than" is ambiguous; strict by default)
    search_inclusive_range: bool = False
    mutate_during_pagination: int = 0  # touch(world, k) after each served list/search/scroll page
    revoked_tokens: list[str] = field(default_factory=list)  # answered 401 token_revoked
    scroll_ttl_seconds: float = 60.0  # idle expiry of a company scroll
    scroll_page_size: int = 100  # companies per scroll page (undocumented by Intercom)
    companies_page_cap: int = 10_000  # GET /companies serves at most this many records
    # The `Date` header (and `X-RateLimit-Reset`) this many seconds ahead (+) or behind (-) of
    # the data clock that stamps `updated_at`: the host answering need not be the one writing.
    date_skew_seconds: int = 0

    def validate(self) -> None:
        if self.default_version not in KNOWN_VERSIONS:
            raise ValueError(f"default_version must be one of {', '.join(KNOWN_VERSIONS)}")
        if self.rate_limit is not None and (
            isinstance(self.rate_limit, bool) or not isinstance(self.rate_limit, int)
        ):
            raise ValueError("rate_limit must be an integer or null")
        if self.rate_limit is not None and self.rate_limit < 0:
            raise ValueError("rate_limit must be >= 0")
        for name in ("latency_ms", "latency_jitter_ms", "scroll_ttl_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
        for name in (
            "index_lag_seconds",
            "mutate_during_pagination",
            "scroll_page_size",
            "companies_page_cap",
            "rate_limit_window_seconds",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0")
        if self.scroll_page_size < 1:
            raise ValueError("scroll_page_size must be >= 1")
        if self.rate_limit_window_seconds < 1:
            raise ValueError("rate_limit_window_seconds must be >= 1")
        if isinstance(self.date_skew_seconds, bool) or not isinstance(self.date_skew_seconds, int):
            raise ValueError("date_skew_seconds must be an integer (seconds, may be negative)")
        if not isinstance(self.search_inclusive_range, bool):
            raise ValueError("search_inclusive_range must be true or false")
        if not isinstance(self.revoked_tokens, list) or not all(
            isinstance(t, str) for t in self.revoked_tokens
        ):
            raise ValueError("revoked_tokens must be a list of strings")
        if self.faults is not None:
            FaultConfig.from_dict(self.faults)  # raises ValueError when malformed


SETTING_NAMES = frozenset(f.name for f in fields(Settings))


class Stats:
    """Requests served, per endpoint and status (GET /_emulator/stats)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()

    def record(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._counts[(endpoint, status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            items = sorted(self._counts.items())
        by_endpoint: dict[str, dict[str, int]] = {}
        for (endpoint, status), n in items:
            by_endpoint.setdefault(endpoint, {})[str(status)] = n
        return {"total": sum(n for _, n in items), "endpoints": by_endpoint}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class Control:
    """Settings + the server-side state built from them, shared by every request.

    `lock` serialises world access: it is the world's own lock (held by `activity.advance` and
    `activity.touch`), and the server holds it while it reads the world for a request.
    """

    def __init__(
        self,
        world: World,
        *,
        token: str = DEFAULT_TOKEN,
        seed: int = 0,
        settings: Settings | None = None,
        wall_clock: Any = time.monotonic,
    ) -> None:
        self.world = world
        self.token = token
        self.seed = seed
        self.settings = settings or Settings()
        self.settings.validate()
        self.lock: threading.RLock = getattr(world, "lock", None) or threading.RLock()
        self.wall_clock = wall_clock
        self.stats = Stats()
        self.request_ids = RequestIds(seed)
        self.limiter = RateLimiter(
            self.settings.rate_limit,
            window_seconds=self.settings.rate_limit_window_seconds,
            clock=wall_clock,
        )
        # Scroll idle time runs on wall time *and* on the data clock, so a test can expire a
        # scroll by advancing the world instead of sleeping a minute.
        self.scrolls = ScrollRegistry(
            ttl_seconds=self.settings.scroll_ttl_seconds, clock=self._scroll_clock, seed=seed
        )
        self.faults = self._make_injector()
        self.renders = RenderCache()
        self.generations = Generations()
        self.orderings = Orderings(self.generations)
        self.matches = MatchCache()
        self.search_counts: dict[tuple, int] = {}
        # contact id -> (record version, segment ids): shared by the segment searches
        self.contact_segments: dict[str, tuple[int, Any]] = {}
        self._warm_orderings()

    def replace_world(self, world: World) -> None:
        """Swap in a freshly generated world (POST /_emulator/reset)."""
        self.world = world
        self.lock = getattr(world, "lock", None) or threading.RLock()
        self.renders.clear()
        self.generations.clear()
        self.orderings.clear()
        self.matches.clear()
        self.search_counts.clear()
        self.contact_segments.clear()
        self._warm_orderings()

    def _warm_orderings(self) -> None:
        # GET /contacts and /companies walk creation order (contact and company lists)
        self.orderings.warm([self.world.contacts, self.world.companies])

    def _scroll_clock(self) -> float:
        return self.world.now + self.wall_clock()

    def _make_injector(self) -> FaultInjector | None:
        if not self.settings.faults:
            return None
        return FaultInjector(FaultConfig.from_dict(self.settings.faults), seed=self.seed)

    def update(self, changes: dict[str, Any]) -> Settings:
        """Apply a partial settings dict atomically (all keys valid, or nothing changes)."""
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        candidate = Settings(**{**self.settings.__dict__, **changes})
        candidate.validate()
        with self.lock:
            self.settings = candidate
            self.limiter.set_limit(candidate.rate_limit)
            self.limiter.set_window(candidate.rate_limit_window_seconds)
            self.scrolls.ttl_seconds = candidate.scroll_ttl_seconds
            if "faults" in changes:
                self.faults = self._make_injector()
        return candidate

    def settings_dict(self) -> dict[str, Any]:
        return dict(self.settings.__dict__)

    def reset_runtime(self) -> None:
        """Forget rate-limit usage, open scrolls and stats (world reset is the caller's job)."""
        self.limiter.reset()
        self.scrolls.expire_all()
        self.stats.reset()
        self.request_ids = RequestIds(self.seed)
        self.faults = self._make_injector()
