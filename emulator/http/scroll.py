"""Company-scroll bookkeeping with Intercom's rules (API-NOTES §3.3, §7.6).

- One open scroll per workspace: starting another while one is open -> `ScrollExists`
  (HTTP 400 `scroll_exists`).
- A scroll idle for `ttl_seconds` (60 s) expires; using it -> `ScrollExpired` (HTTP 404).
- The same `scroll_param` comes back on every page.
- When the end is reached the HTTP layer serves `data: []` and calls `finish()`: the scroll is
  closed at once (a later call with its param -> expired) and a new one may start.
  There is no way for a client to close a scroll early.

The registry only keeps the position; the HTTP layer decides what a page holds and advances
`ScrollState.position` itself (e.g. an index into a snapshot of company ids it stores in
`ScrollState.snapshot`).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ScrollError(Exception):
    """Base class for scroll refusals."""


class ScrollExists(ScrollError):
    """Another scroll is open for this workspace (HTTP 400 `scroll_exists`)."""


class ScrollExpired(ScrollError):
    """Unknown, idle-expired or finished scroll param (HTTP 404 `not_found`)."""


@dataclass
class ScrollState:
    """Mutable position of one scroll; the HTTP layer reads and advances it."""

    param: str
    started_at: float
    last_used_at: float
    position: int = 0  # how many items have been served so far
    pages_served: int = 0
    snapshot: Any = None  # free slot for the HTTP layer (e.g. the id list frozen at start)
    extra: dict[str, Any] = field(default_factory=dict)


class ScrollRegistry:
    """Holds the (at most one) open scroll of a workspace. Thread-safe.

    Params are UUID4-shaped strings drawn from a `random.Random(seed)`, so a given seed yields
    the same sequence of params on every run.
    """

    def __init__(
        self,
        ttl_seconds: float = 60,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._open: ScrollState | None = None

    def _new_param(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _live(self, now: float) -> ScrollState | None:
        """The open scroll, dropping it first if it has been idle too long."""
        state = self._open
        if state is not None and now - state.last_used_at >= self.ttl_seconds:
            self._open = None
            state = None
        return state

    def start(self) -> str:
        """Open a new scroll and return its param; `ScrollExists` if one is still open."""
        with self._lock:
            now = self._clock()
            if self._live(now) is not None:
                raise ScrollExists("scroll already exists for this workspace")
            param = self._new_param()
            self._open = ScrollState(param=param, started_at=now, last_used_at=now)
            return param

    def continue_(self, param: str) -> ScrollState:
        """Return the state for `param` and refresh its idle timer; `ScrollExpired` otherwise."""
        with self._lock:
            now = self._clock()
            state = self._live(now)
            if state is None or state.param != param:
                raise ScrollExpired("scroll parameter not found or expired")
            state.last_used_at = now
            return state

    def current(self) -> ScrollState | None:
        """The open scroll if any (for stats/control), without touching its timer."""
        with self._lock:
            return self._live(self._clock())

    def finish(self, param: str) -> None:
        """Close `param` because its end was reached. Unknown params are ignored."""
        with self._lock:
            if self._open is not None and self._open.param == param:
                self._open = None

    def expire_all(self) -> None:
        """Drop any open scroll (fault injection, `/_emulator/reset`)."""
        with self._lock:
            self._open = None
