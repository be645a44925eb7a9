"""Proactive rate-limit pacing shared by every thread of one client.

Intercom limits requests per 10-second window and reports the budget on every response
(`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` in Unix seconds). The
reset is compared with the same response's `Date` header — never with the local clock —
so the pacer works against real Intercom and against the emulator, whose clock is the data
clock. `Reset − Date` is the time left in the window, known only to a second (`Date` is
truncated), so each response bounds the window's end on the local monotonic clock to
`(sent + left − 1, received + left]`; intersecting those bounds across responses narrows it.

Policy: while more than half the budget is left, requests go at full speed; below that,
the remaining budget is spread evenly over the time left in the window; at zero, every
thread waits until the window has surely ended. Requests already granted but not yet
answered are subtracted from what a response reports, so concurrent threads do not
overshoot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Intercom's windows are 10 s; anything larger is a malformed header, not a longer window.
MAX_WINDOW_LEFT_S = 11.0


def parse_http_date(value: str | None) -> int | None:
    """Unix seconds of an RFC 7231 `Date` header, or None if absent/unparseable."""
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimitInfo:
    limit: int
    remaining: int
    window_left_s: float  # Reset − Date, clamped to 0…MAX_WINDOW_LEFT_S

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitInfo | None:
        limit = _int_header(headers, "x-ratelimit-limit")
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset = _int_header(headers, "x-ratelimit-reset")
        date = parse_http_date(headers.get("date"))
        if limit is None or remaining is None or reset is None or date is None:
            return None
        left = float(min(max(reset - date, 0), MAX_WINDOW_LEFT_S))
        if remaining <= 0:
            # Exhausted and "resets this second": the second may not be over yet.
            left = max(left, 1.0)
        return cls(limit=limit, remaining=remaining, window_left_s=left)


class RateLimitPacer:
    """Thread-safe gate: call `acquire()` before each request, `observe()` after it."""

    # Bounds of different responses may disagree slightly (server-side rounding); within
    # this tolerance they describe the same window.
    _SAME_WINDOW_TOLERANCE_S = 0.5

    def __init__(
        self,
        *,
        spread_below: float = 0.5,
        margin_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._spread_below = spread_below
        self._margin_s = margin_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: float | None = None  # None: unknown (no info, or a new window)
        self._end_lo: float | None = None
        self._end_hi: float | None = None
        self._next_slot = 0.0
        self._issued = 0
        self.waited_s = 0.0  # total time threads spent waiting here (for stats/bench)

    def acquire(self) -> int:
        """Wait until a request may be sent; returns a ticket to pass to `observe`."""
        while True:
            with self._lock:
                granted, wait = self._decide(self._clock())
                if granted:
                    self._issued += 1
                    ticket = self._issued
            self._pause(wait)
            if granted:
                return ticket

    def _decide(self, now: float) -> tuple[bool, float]:
        """Under the lock: (granted, seconds to sleep before sending / before asking again)."""
        if self._remaining is None or self._end_hi is None or self._limit is None:
            return True, 0.0
        window_end = self._end_hi + self._margin_s
        if now >= window_end:
            self._remaining = None  # the window has refilled; the next response tells by how much
            return True, 0.0
        if self._remaining < 1:
            return False, window_end - now
        self._remaining -= 1
        if self._remaining + 1 > self._spread_below * self._limit:
            return True, 0.0  # far from the limit: full speed
        # Spread what is left evenly over the rest of the window; the slot is reserved now,
        # the caller sleeps outside the lock.
        interval = (window_end - now) / (self._remaining + 1)
        slot = max(now, self._next_slot)
        self._next_slot = slot + interval
        return True, slot - now

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.waited_s += seconds
            self._sleep(seconds)

    def observe(
        self, ticket: int, sent_at: float, received_at: float, headers: Mapping[str, str]
    ) -> None:
        """Update the budget from a response's headers (any status, 429 included)."""
        info = RateLimitInfo.from_headers(headers)
        if info is None:
            return
        lo = sent_at + info.window_left_s - 1.0
        hi = received_at + info.window_left_s
        with self._lock:
            granted_since = self._issued - ticket
            remaining = float(info.remaining - granted_since)
            tol = self._SAME_WINDOW_TOLERANCE_S
            self._limit = info.limit
            if self._end_hi is None or self._end_lo is None or lo > self._end_hi + tol:
                self._end_lo, self._end_hi = lo, hi  # a new window
                self._remaining = remaining
                self._next_slot = 0.0
            elif hi < self._end_lo - tol:
                return  # a late answer from an earlier window
            else:
                self._end_lo = max(self._end_lo, lo)
                self._end_hi = max(min(self._end_hi, hi), self._end_lo)
                if self._remaining is None:
                    self._remaining = remaining
                else:
                    self._remaining = min(self._remaining, remaining)
