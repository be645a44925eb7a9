"""Contact-search windows: whatever the timezone, DST or day boundary, nothing is missed."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sources.intercom.windows import (
    DAY,
    ContactSlice,
    choose_boundaries,
    contact_window,
    day_start,
    local_date,
    probe_days,
    slice_window,
)

FAR_ZONES = [
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "America/Sao_Paulo",  # DST changes at midnight (historically)
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +05:45
    "UTC",
]
zones = st.one_of(
    st.sampled_from(FAR_ZONES), st.sampled_from(sorted(zoneinfo.available_timezones()))
)
instants = st.integers(min_value=946_684_800, max_value=2_208_988_800)  # 2000 … 2040


def search_matches(updated_at: int, after: int, tz: str) -> bool:
    """Intercom's contact search `updated_at > after`: compared by local calendar day."""
    return local_date(updated_at, tz) > local_date(after, tz)


@settings(max_examples=400, deadline=None)
@given(tz=zones, since=instants, offset=st.integers(min_value=0, max_value=3 * DAY))
@example(tz="Pacific/Apia", since=1_325_246_400, offset=0)  # the day Apia skipped
@example(tz="Pacific/Kiritimati", since=1_767_225_600, offset=0)
def test_every_record_at_or_after_since_matches(tz: str, since: int, offset: int) -> None:
    window = contact_window(since, tz, safety_days=1)
    assert window.after < window.covers_from <= since
    for updated_at in (since + offset, window.covers_from, since, since - 1):
        if updated_at >= window.covers_from:
            assert search_matches(updated_at, window.after, tz)
    # covers_from is tight: the second before it is on `after`'s day, so it does not match.
    assert not search_matches(window.covers_from - 1, window.after, tz)


@settings(max_examples=300, deadline=None)
@given(tz=zones, since=instants, safety=st.integers(min_value=0, max_value=3))
def test_window_reaches_back_whole_local_days(tz: str, since: int, safety: int) -> None:
    window = contact_window(since, tz, safety_days=safety)
    # It starts at a local day start no later than `safety` local days before since's day.
    assert local_date(window.covers_from, tz) <= local_date(since, tz) - dt.timedelta(days=safety)
    # and never absurdly early (at most two extra days, even around skipped days / DST).
    assert since - window.covers_from <= (safety + 2) * DAY


@settings(max_examples=300, deadline=None)
@given(tz=zones, ts=instants)
def test_day_start_is_first_second_of_the_day(tz: str, ts: int) -> None:
    day = local_date(ts, tz)
    start = day_start(day, tz)
    assert start <= ts
    assert local_date(start, tz) == day
    assert local_date(start - 1, tz) < day


def test_all_history_window_matches_everything_realistic() -> None:
    for tz in FAR_ZONES:
        window = contact_window(None, tz)
        assert window.after == 0
        assert window.covers_from <= 2 * DAY
        assert search_matches(86_400 * 365, window.after, tz)


def test_same_day_records_before_the_cursor_are_covered() -> None:
    # Cursor at 23:59:59 local in Kiritimati: a record updated at 00:00:00 the same local
    # day (14 h earlier in UTC terms, the previous UTC day) must be returned.
    tz = "Pacific/Kiritimati"
    day = dt.date(2026, 3, 1)
    midnight = day_start(day, tz)
    cursor = midnight + DAY - 1
    window = contact_window(cursor, tz)
    assert window.covers_from <= midnight - DAY
    assert search_matches(midnight, window.after, tz)


@settings(max_examples=200, deadline=None)
@given(
    tz=zones,
    since=instants,
    gaps=st.lists(st.integers(min_value=1, max_value=40), min_size=0, max_size=6),
    offsets=st.lists(st.integers(min_value=0, max_value=200 * DAY), min_size=1, max_size=20),
)
def test_slices_partition_the_window(tz, since, gaps, offsets) -> None:
    window = contact_window(since, tz)
    first_day = local_date(window.covers_from, tz)
    boundaries, day = [], first_day
    for gap in gaps:
        day = day + dt.timedelta(days=gap)
        boundaries.append(day)
    slices = slice_window(window, boundaries, tz)
    assert len(slices) == len(set(boundaries)) + 1
    for offset in offsets:
        updated_at = window.covers_from + offset
        hits = [s for s in slices if slice_matches(updated_at, s, tz)]
        assert len(hits) == 1, (updated_at, slices)


def slice_matches(updated_at: int, piece: ContactSlice, tz: str) -> bool:
    """Intercom's `> after AND < before` on contact dates (by local day)."""
    day = local_date(updated_at, tz)
    if not day > local_date(piece.after, tz):
        return False
    return piece.before is None or day < local_date(piece.before, tz)


def test_slice_queries_use_only_operators_contact_dates_allow() -> None:
    window = contact_window(1_767_225_600, "Pacific/Kiritimati")
    slices = slice_window(window, [dt.date(2026, 1, 5)], "Pacific/Kiritimati")
    assert slices[0].query()["operator"] == "AND"
    assert {f["operator"] for f in slices[0].query()["value"]} == {">", "<"}
    assert slices[1].query() == {"field": "updated_at", "operator": ">", "value": slices[1].after}


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40),
    parts=st.integers(min_value=1, max_value=10),
)
def test_boundaries_balance_the_parts(counts, parts) -> None:
    cumulative, total = [], 0
    for n in counts:
        total += n
        cumulative.append(total)
    total += 7  # records after the last probed day
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(len(counts))]
    chosen = choose_boundaries(days, cumulative, total, parts)
    assert chosen == sorted(set(chosen))
    assert len(chosen) <= parts - 1
    assert set(chosen) <= set(days)


def test_probe_days_spread_over_the_range() -> None:
    days = probe_days(dt.date(2026, 1, 1), dt.date(2026, 12, 31), 32)
    assert len(days) == 32
    assert days == sorted(set(days))
    assert dt.date(2026, 1, 1) < days[0] and days[-1] <= dt.date(2026, 12, 31)
    assert probe_days(dt.date(2026, 1, 1), dt.date(2026, 1, 3), 32) == [
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 3),
    ]
    assert probe_days(dt.date(2026, 1, 1), dt.date(2026, 1, 1), 32) == []
