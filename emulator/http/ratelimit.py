"""Intercom-style rate limiting: a request budget per fixed 10-second window.

Intercom enforces its per-minute limits in 10 s windows and reports them in
`X-RateLimit-Limit` / `X-RateLimit-Remaining` / `X-RateLimit-Reset` headers; over the limit it
answers 429 with `Remaining: 0` (API-NOTES §1). Windows are aligned to the clock
(`start = floor(clock / window) * window`), not to the first request, so a client that waits
until the reported reset always lands in a fresh window.

The limiter is HTTP-agnostic: the HTTP layer calls `acquire()` once per request and turns the
`RateDecision` into headers (`X-RateLimit-Reset` = its own Date clock + `reset_in_seconds`,
rounded up).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Reported as X-RateLimit-Limit when no limit is enforced: 10,000 calls/min ≈ 1,666 per 10 s.
DEFAULT_NOMINAL_LIMIT = 1666


@dataclass(frozen=True)
class RateDecision:
    """Outcome of one `acquire()`; `allowed=False` means answer 429 `rate_limit_exceeded`."""

    allowed: bool
    limit: int  # per-window budget (the nominal one when unlimited)
    remaining: int  # budget left in the current window after this request, >= 0
    reset_in_seconds: float  # time until the current window ends (> 0)
    reset_at: float  # clock value at which the current window ends

    @property
    def reset_in_whole_seconds(self) -> int:
        """`reset_in_seconds` rounded up: never tells a client to come back too early."""
        return max(1, math.ceil(self.reset_in_seconds))


class RateLimiter:
    """Fixed-window limiter, thread-safe.

    - `limit=None`: unlimited. Requests are never refused, but the window counter still runs so
      headers look real: `remaining` = `nominal_limit - used`, floored at 1 so that a client
      throttling proactively on `Remaining` never sees an exhausted budget that is not enforced.
    - `force_429(n)`: the next `n` requests are refused regardless of budget (an Intercom
      overload burst). Refused requests, forced or not, do not consume budget.
    - `clock` is any monotonic seconds source (`time.monotonic` by default; tests inject fakes).
    """

    def __init__(
        self,
        limit: int | None,
        window_seconds: int = 10,
        clock: Callable[[], float] = time.monotonic,
        nominal_limit: int = DEFAULT_NOMINAL_LIMIT,
    ) -> None:
        self._check_window(window_seconds)
        self._check_limit(limit)
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._nominal = nominal_limit
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._used = 0
        self._forced = 0

    @staticmethod
    def _check_window(window_seconds: int) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")

    @staticmethod
    def _check_limit(limit: int | None) -> None:
        if limit is not None and (isinstance(limit, bool) or limit < 0):
            raise ValueError(f"limit must be None or >= 0, got {limit!r}")

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def reported_limit(self) -> int:
        """Value for `X-RateLimit-Limit`."""
        return self._nominal if self._limit is None else self._limit

    def set_limit(self, limit: int | None) -> None:
        """Change the budget at runtime (control API); the current window's usage is kept."""
        self._check_limit(limit)
        with self._lock:
            self._limit = limit

    def set_window(self, window_seconds: int) -> None:
        """Change the window's length (control API); the next request starts a new window."""
        self._check_window(window_seconds)
        with self._lock:
            if window_seconds != self._window:
                self._window, self._window_start, self._used = window_seconds, None, 0

    def force_429(self, count: int) -> None:
        """Refuse the next `count` requests (adds to any burst already pending)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._forced += count

    def reset(self) -> None:
        """Forget usage and pending bursts."""
        with self._lock:
            self._window_start = None
            self._used = 0
            self._forced = 0

    def acquire(self) -> RateDecision:
        """Count one request against the current window and say whether it may proceed."""
        with self._lock:
            now = self._clock()
            start = math.floor(now / self._window) * self._window
            if start != self._window_start:
                self._window_start = start
                self._used = 0
            end = start + self._window
            limit = self.reported_limit
            if self._forced > 0:
                self._forced -= 1
                return RateDecision(False, limit, 0, end - now, end)
            if self._limit is not None and self._used >= self._limit:
                return RateDecision(False, limit, 0, end - now, end)
            self._used += 1
            if self._limit is None:
                remaining = max(1, self._nominal - self._used)
            else:
                remaining = self._limit - self._used
            return RateDecision(True, limit, remaining, end - now, end)
