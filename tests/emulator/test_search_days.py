"""Contacts search compares dates by calendar day in the workspace timezone (API-NOTES §5);
conversations and tickets compare seconds. The oracle here compares local *dates*, a different
computation from the module's day-boundary arithmetic."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.search import compile_search, local_day_bounds

ZONES = [
    "UTC",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Asia/Kolkata",  # +05:30
    "America/St_Johns",  # -03:30 / -02:30 with DST
    "Europe/London",
    "America/New_York",
]
# 2020-01-01 .. 2030-01-01, plus instants near 2026 DST changes in London and New York
SPAN = st.integers(min_value=1577836800, max_value=1893456000)
DST_EDGES = [1774746000, 1792890000, 1772953200, 1793512800]  # 2026-03-29/10-25 UTC, NY 03-08/11-01
NEAR_DST = st.sampled_from(DST_EDGES).flatmap(
    lambda t: st.integers(min_value=t - 2 * 86400, max_value=t + 2 * 86400)
)
INSTANTS = st.one_of(SPAN, NEAR_DST)


def local_date(ts: int, zone: str):
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).date()


def contact_hit(op: str, value: int, updated_at: int, zone: str) -> bool:
    query = {"field": "updated_at", "operator": op, "value": value}
    search = compile_search({"query": query}, entity="contacts", timezone=zone)
    return search.matches({"id": "x", "updated_at": updated_at})


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), INSTANTS, st.integers(min_value=-3 * 86400, max_value=3 * 86400))
def test_contact_date_operators_follow_local_calendar_days(zone, value, delta):
    record = value + delta
    v_day, r_day = local_date(value, zone), local_date(record, zone)
    assert contact_hit("=", value, record, zone) is (r_day == v_day)
    assert contact_hit(">", value, record, zone) is (r_day > v_day)
    assert contact_hit("<", value, record, zone) is (r_day < v_day)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), INSTANTS)
def test_bounds_are_the_local_midnights(zone, ts):
    start, end = local_day_bounds(ts, zone)
    assert start <= ts < end
    assert local_date(int(start), zone) == local_date(ts, zone)
    assert local_date(int(start) - 1, zone) < local_date(ts, zone)
    assert local_date(int(end), zone) > local_date(ts, zone)
    assert local_date(int(end) - 1, zone) == local_date(ts, zone)


@pytest.mark.parametrize(
    "zone,value,first_match_of_gt",
    [
        # spec example: UTC, > 2020-01-01 09:00 -> from 2020-01-02 00:00 UTC
        ("UTC", 1577869200, 1577923200),
        # Kiritimati is UTC+14: 2020-01-01 09:00 UTC is 23:00 local; next local day at 10:00 UTC
        ("Pacific/Kiritimati", 1577869200, 1577872800),
        # Pago Pago is UTC-11: 09:00 UTC is 22:00 on Dec 31 local; Jan 1 local starts 11:00 UTC
        ("Pacific/Pago_Pago", 1577869200, 1577876400),
        ("Asia/Kolkata", 1577869200, 1577903400),  # +05:30 -> 18:30 UTC
        ("America/St_Johns", 1577869200, 1577935800),  # -03:30 -> 03:30 UTC next day
    ],
)
def test_gt_starts_at_next_local_midnight(zone, value, first_match_of_gt):
    assert contact_hit(">", value, first_match_of_gt, zone)
    assert not contact_hit(">", value, first_match_of_gt - 1, zone)


@pytest.mark.parametrize(
    "zone,day_value,hours",
    [
        ("Europe/London", 1774771200, 23),  # 2026-03-29, clocks go forward
        ("Europe/London", 1792915200, 25),  # 2026-10-25, clocks go back
        ("America/New_York", 1772989200, 23),  # 2026-03-08
        ("America/New_York", 1793552400, 25),  # 2026-11-01
        ("UTC", 1774771200, 24),
    ],
)
def test_equals_covers_the_whole_local_day_across_dst(zone, day_value, hours):
    start, end = local_day_bounds(day_value, zone)
    assert end - start == hours * 3600
    start, end = int(start), int(end)
    assert contact_hit("=", day_value, start, zone)
    assert contact_hit("=", day_value, end - 1, zone)
    assert not contact_hit("=", day_value, start - 1, zone)
    assert not contact_hit("=", day_value, end, zone)
    assert contact_hit("<", day_value, start - 1, zone)
    assert not contact_hit("<", day_value, start, zone)


def test_same_query_differs_between_workspaces():
    # 2020-01-01 12:00 UTC: same day as the value in UTC, a different local day in Kiritimati
    value, record = 1577869200, 1577880000
    assert contact_hit("=", value, record, "UTC")
    assert not contact_hit("=", value, record, "Pacific/Kiritimati")


def test_millisecond_values_are_accepted_and_lie_in_the_far_future():
    # a client sending Date.now() gets nothing for > and everything for <, not an error
    assert not contact_hit(">", 1700000000000, 1700000000, "UTC")
    assert contact_hit("<", 1700000000000, 1700000000, "UTC")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), INSTANTS, st.integers(min_value=-2 * 86400, max_value=2 * 86400))
def test_conversations_and_preview_contacts_compare_seconds(zone, value, delta):
    record = value + delta
    for entity, version in (
        ("conversations", "2.16"),
        ("tickets", "2.16"),
        ("contacts", "Preview"),
    ):
        for op, expected in (("=", delta == 0), (">", delta > 0), ("<", delta < 0)):
            search = compile_search(
                {"query": {"field": "updated_at", "operator": op, "value": value}},
                entity=entity,
                timezone=zone,
                api_version=version,
            )
            assert search.matches({"id": "1", "updated_at": record}) is expected, (entity, op)


def test_preview_contacts_allow_or_equal_on_dates():
    body = {"query": {"field": "updated_at", "operator": ">=", "value": 5}}
    search = compile_search(body, entity="contacts", timezone="UTC", api_version="Preview")
    assert search.matches({"updated_at": 5}) and not search.matches({"updated_at": 4})
