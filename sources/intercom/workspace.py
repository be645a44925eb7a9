"""`Workspace`: the facts about the workspace a run shares between its resources, each read
at most once per run: `/me`, and the lists behind the lookups (lookups.py), two of which also
type other resources' columns (data attribute definitions: contacts and companies; ticket
types: tickets)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sources.intercom.client import IntercomClient
from sources.intercom.errors import ApiUnavailableError
from sources.intercom.records import items_of, list_items

logger = logging.getLogger(__name__)


class Workspace:
    """Thread-safe (dlt runs parallelized resources in a thread pool). A read that exhausted
    its retries is remembered too: whatever needs it fails at once with the same error rather
    than waiting out the retries again, and never types columns without it."""

    def __init__(self, client: IntercomClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._bodies: dict[tuple, dict] = {}
        self._failed: dict[tuple, ApiUnavailableError] = {}
        self._readers: dict[str, Callable[[], Iterable[list[dict]]]] = {}
        self._pages: dict[str, list[list[dict]]] = {}

    @property
    def api_version(self) -> str:
        return self._client.api_version

    def me(self) -> dict:
        return self._client.me()

    @property
    def timezone(self) -> str:
        """The workspace timezone (`/me` → `app.timezone`); contact search days follow it."""
        tz = (self.me().get("app") or {}).get("timezone")
        if not tz:
            # Without it day boundaries are a guess; the safety day still covers ±14 h.
            logger.warning("/me has no app.timezone; contact search windows assume UTC")
            return "UTC"
        return str(tz)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        """`GET path`, read once per run."""
        key = (path, tuple(sorted((params or {}).items())))
        with self._lock:
            if key in self._failed:
                raise self._failed[key]
            if key not in self._bodies:
                try:
                    self._bodies[key] = self._client.get(path, params=params)
                except ApiUnavailableError as exc:
                    self._failed[key] = exc
                    raise
            return self._bodies[key]

    def add_replaced(self, name: str, read: Callable[[], Iterable[list[dict]]]) -> None:
        """Register how replaced resource `name` reads its pages (lookups.py, content.py)."""
        self._readers[name] = read

    def replaced(self) -> tuple[str, ...]:
        return tuple(self._readers)

    def pages(self, name: str) -> list[list[dict]]:
        """Every page of replaced resource `name`, read once per run (before the run, by
        `contained.read_lookups_first`, when failures are contained); a failure is kept."""
        key = ("pages", name)
        with self._lock:
            if key in self._failed:
                raise self._failed[key]
            if name in self._pages:
                return self._pages[name]
        try:  # outside the lock: a replaced list may read through `get` (lookups)
            pages = list(self._readers[name]())
        except ApiUnavailableError as exc:
            with self._lock:
                self._failed[key] = exc
            raise
        with self._lock:
            return self._pages.setdefault(name, pages)

    def data_attributes(self, model: str) -> list[dict]:
        """`GET /data_attributes?model=<model>` (archived included: old values still exist)."""
        body = self.get("/data_attributes", {"model": model, "include_archived": "true"})
        return items_of(body, "data")

    def ticket_types(self) -> list[dict]:
        """`GET /ticket_types`, with their attribute definitions."""
        return list_items(self.get("/ticket_types"), "data")
