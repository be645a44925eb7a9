"""Query windows for Intercom search, which compares dates coarsely.

Contact search truncates a date filter's value to its **calendar day in the workspace
timezone**: `updated_at > X` matches every contact whose `updated_at` falls on a later local day
than X's; there is no `>=`. So to get "everything updated at or after instant T" we pick X on
an earlier local day and filter the exact seconds on our side. `ContactWindow` says which value
to send and from which instant on every record is guaranteed to match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400
_NOON = 12 * 3600


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_date(ts: int, tz: str) -> dt.date:
    """The calendar day of Unix time `ts` in timezone `tz`."""
    return dt.datetime.fromtimestamp(ts, _zone(tz)).date()


def day_start(day: dt.date, tz: str) -> int:
    """The first Unix second whose local date in `tz` is `day` or later.

    Not simply local midnight: midnight can be skipped by a DST change (then the day starts at
    the transition) and some zones skipped whole days (Pacific/Apia, 2011-12-30).
    """
    guess = int(dt.datetime.combine(day, dt.time(0), _zone(tz)).timestamp())
    lo, hi = guess - 2 * DAY, guess + 2 * DAY  # offsets are within ±26 h of UTC
    while lo < hi:  # smallest t with local_date(t) >= day
        mid = (lo + hi) // 2
        if local_date(mid, tz) >= day:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class ContactWindow:
    """A contact-search lower bound.

    after: the value to send as `{"field": "updated_at", "operator": ">", "value": after}`.
    covers_from: every record with `updated_at >= covers_from` matches that filter (its
        local day is later than `after`'s), so nothing at or after it can be missed.
    Records in [after+1, covers_from) may or may not come back; either way no harm.
    """

    after: int
    covers_from: int

    def query(self, field: str = "updated_at") -> dict:
        return {"field": field, "operator": ">", "value": self.after}


def contact_window(since: int | None, tz: str, safety_days: int = 1) -> ContactWindow:
    """The contact-search window that returns every record updated at or after `since`.

    Starts at the beginning of `since`'s local day minus `safety_days` whole local days (the
    safety days absorb search-index lag). `since=None` means all history.
    """
    if since is None:
        # `> 0`: the epoch's local day; every realistic record is on a later day.
        after = 0
    else:
        first_day = local_date(since, tz) - dt.timedelta(days=safety_days)
        # Noon of the day before `first_day`: far from both of that day's edges, so a
        # server that rounds the value slightly differently still lands on the same day.
        after = day_start(first_day - dt.timedelta(days=1), tz) + _NOON
        # (Noon stays inside the day even on 23 h/25 h DST days; a day shortened to
        # less than 12 h by a zone change falls through to the check below.)
        if local_date(after, tz) >= first_day:
            after = day_start(first_day, tz) - 1
    return ContactWindow(
        after=after, covers_from=day_start(local_date(after, tz) + dt.timedelta(days=1), tz)
    )


def day_noon(day: dt.date, tz: str) -> int:
    """An instant well inside local `day` (noon, or the day's start on days under 12 h)."""
    noon = day_start(day, tz) + _NOON
    return noon if local_date(noon, tz) == day else day_start(day, tz)


@dataclass(frozen=True)
class ContactSlice:
    """One part of a contact window, split on local day boundaries so parts can be paged
    concurrently: `updated_at > after` (and `updated_at < before` unless None). `<` matches
    before the start of `before`'s local day, `>` from the start of the day after `after`'s."""

    after: int
    before: int | None = None

    def query(self, field: str = "updated_at") -> dict:
        lower = {"field": field, "operator": ">", "value": self.after}
        if self.before is None:
            return lower
        upper = {"field": field, "operator": "<", "value": self.before}
        return {"operator": "AND", "value": [lower, upper]}


def slice_window(window: ContactWindow, boundaries: list[dt.date], tz: str) -> list[ContactSlice]:
    """Split `window` at the starts of the local days `boundaries` (ascending, after the
    window's first day): every record the window matches is matched by exactly one slice."""
    first_day = local_date(window.covers_from, tz)
    days = sorted({d for d in boundaries if d > first_day})
    afters = [window.after] + [day_noon(d - dt.timedelta(days=1), tz) for d in days]
    befores: list[int | None] = [day_noon(d, tz) for d in days] + [None]
    return [ContactSlice(a, b) for a, b in zip(afters, befores, strict=True)]


def probe_days(first_day: dt.date, last_day: dt.date, points: int) -> list[dt.date]:
    """Up to `points` distinct days spread evenly over (first_day, last_day]."""
    span = (last_day - first_day).days
    if span <= 0 or points <= 0:
        return []
    offsets = sorted({max(1, round(i * span / points)) for i in range(1, points + 1)})
    return [first_day + dt.timedelta(days=offset) for offset in offsets]


def choose_boundaries(
    days: list[dt.date], counts_before: list[int], total: int, parts: int
) -> list[dt.date]:
    """Split days so each part holds about `total / parts` records, from `counts_before[i]`
    = records before day `days[i]` (ascending). Returns at most `parts - 1` distinct days."""
    if parts <= 1 or total <= 0:
        return []
    chosen: list[dt.date] = []
    target = 1
    for day, before in zip(days, counts_before, strict=True):
        if target >= parts:
            break
        if before >= total * target / parts and (not chosen or day > chosen[-1]):
            chosen.append(day)
            while target < parts and before >= total * target / parts:
                target += 1
    return chosen
