"""An incremental cursor that never misses a record and never loads one twice.

Intercom search is coarse (contacts: by local day) and laggy (a new record can show up minutes
late with an `updated_at` *below* what we already loaded). A plain "greater than the last
value" cursor drops those records. Instead each run:

1. queries from well before the cursor (the caller picks the overlap: a window from
   `windows.contact_window` for contacts, `cursor - lookback` for conversations/tickets);
2. admits a record only if this exact version was not loaded yet: the state remembers the
   `updated_at` loaded for every id whose `updated_at` is inside the overlap (the horizon);
3. after the last page, forgets versions older than the next run's query start (`prune`).

The state lives in dlt's resource state, which dlt commits atomically with the loaded data: a
failed run changes nothing. Layout (JSON-serialisable)::

    {"last_value": <max updated_at loaded> | None, "seen": {"<id>": <updated_at>, ...}}

Usage inside a dlt resource::

    cursor = HorizonCursor(dlt.current.resource_state(), start_value=start_ts)
    window_start = ... from cursor.last_value ...
    for page in client.iter_search(...):
        fresh = [r for r in page if cursor.admit(r["id"], r["updated_at"])]
        yield fresh
    cursor.prune(keep_from=<first updated_at the next run's query is sure to return>)
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

STATE_KEY = "horizon_cursor"
_TRIM_EVERY = 50_000  # remembered versions between trims of a first run (remember_within)


class HorizonCursor:
    """Inclusive cursor + per-id dedup of already-loaded versions within a horizon.

    `state`: a resource state mapping (e.g. `dlt.current.resource_state()`); the cursor keeps
    its data under `state[STATE_KEY]`. `start_value`: records updated before it are never
    admitted (the `start_date` bound); None means all history.
    """

    def __init__(
        self,
        state: MutableMapping[str, Any],
        *,
        start_value: int | None = None,
        settled_before: int | Callable[[], int] | None = None,
        remember_within: int | None = None,
    ) -> None:
        """`remember_within` (seconds): for a caller that prunes at `last_value -
        remember_within` when the run ends and dedupes within the run itself. Admitted
        versions older than that are not remembered, and a first run (no state yet) also
        forgets them as it goes, so a first sync of a million records does not hold a
        million entries until it ends. (A later run keeps every remembered version: it may
        still re-read them.)"""
        self._data: dict[str, Any] = state.setdefault(STATE_KEY, {})
        self._data.setdefault("last_value", None)
        self._seen: dict[str, int] = self._data.setdefault("seen", {})
        self.start_value = start_value
        # `updated_at` has one-second granularity: a version read during its own second can
        # still change within that second, keeping the same `updated_at`. Only versions
        # older than `settled_before` (the server clock before the first read; a callable is
        # asked at the first admit) are final; newer ones are remembered one second early,
        # so the next run loads them again (an idempotent upsert).
        self._settled_before = settled_before
        self._remember_within = remember_within
        self._trim_as_we_go = remember_within is not None and self.last_value is None
        self._next_trim = _TRIM_EVERY
        self.admitted = 0
        self.skipped = 0

    @property
    def last_value(self) -> int | None:
        """Highest `updated_at` ever loaded (None before the first load)."""
        return self._data["last_value"]

    @property
    def since(self) -> int | None:
        """Where this run must start looking: the last value, else the start bound."""
        return self.last_value if self.last_value is not None else self.start_value

    def admit(self, record_id: Any, updated_at: int) -> bool:
        """True if this version of the record must be loaded (and remember that it was).

        False for records before `start_value` and for versions already loaded (same or
        newer `updated_at` remembered for the id) — the overlap's re-reads.
        """
        if updated_at is None:
            # No cursor value: load it (never silently drop), nothing to remember.
            self.admitted += 1
            return True
        updated_at = int(updated_at)
        key = str(record_id)
        if self.start_value is not None and updated_at < self.start_value:
            self.skipped += 1
            return False
        known = self._seen.get(key)
        if known is not None and updated_at <= known:
            self.skipped += 1
            return False
        settled_before = self.settled_before
        settled = settled_before is None or updated_at < settled_before
        if self.last_value is None or updated_at > self.last_value:
            self._data["last_value"] = updated_at
        horizon = self._remember_within
        if horizon is None or updated_at >= self.last_value - horizon:
            self._seen[key] = updated_at if settled else updated_at - 1
            if self._trim_as_we_go and len(self._seen) >= self._next_trim:
                self.prune(self.last_value - horizon)
                self._next_trim = 2 * len(self._seen) + _TRIM_EVERY  # amortised O(1)
        self.admitted += 1
        return True

    @property
    def settled_before(self) -> int | None:
        if callable(self._settled_before):
            self._settled_before = int(self._settled_before())
        return self._settled_before

    def prune(self, keep_from: int | None) -> int:
        """Forget versions with `updated_at < keep_from`; return how many were forgotten.

        `keep_from` must be at or before the earliest `updated_at` the next run's query can
        return, so everything that query re-reads is still recognised.
        """
        if keep_from is None:
            return 0
        stale = [key for key, ts in self._seen.items() if ts < keep_from]
        for key in stale:
            del self._seen[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._seen)


_HEX_ID = re.compile(r"[0-9a-f]{24}")


class IdSet:
    """The ids loaded in this run (one version per id per run), small at a million ids.

    Intercom's contact and company ids are 24 lowercase hex digits (Mongo ObjectIds): those
    are kept as the integer they spell (40 bytes instead of a 73-byte string: ~33 MB less per
    million); any other string as itself, a non-string id tagged with its type. No two of
    these forms are equal, and two different 24-digit lowercase hex strings spell different
    integers, so membership stays exact.
    """

    def __init__(self) -> None:
        self._ids: set[Any] = set()

    @staticmethod
    def _key(record_id: Any) -> Any:
        if not isinstance(record_id, str):
            return (type(record_id).__name__, record_id)  # never equal to an int or str key
        return int(record_id, 16) if _HEX_ID.fullmatch(record_id) else record_id

    def add(self, record_id: Any) -> None:
        self._ids.add(self._key(record_id))

    def __contains__(self, record_id: Any) -> bool:
        return self._key(record_id) in self._ids

    def __len__(self) -> int:
        return len(self._ids)
