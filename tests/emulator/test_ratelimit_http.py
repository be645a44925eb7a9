"""Rate-limit headers and 429s over real HTTP."""

from __future__ import annotations

import email.utils
import time

import httpx


def wait_for_room_in_window(window: float = 10.0, needed: float = 3.0) -> None:
    # The limiter's windows are aligned to the wall clock; start early in one so the
    # handful of requests below cannot straddle a boundary.
    into = time.monotonic() % window
    if into > window - needed:
        time.sleep(window - into + 0.05)


def unix(date_header: str) -> int:
    return int(email.utils.parsedate_to_datetime(date_header).timestamp())


def test_budget_counts_down_then_429_with_reset_on_the_date_clock(emulator_factory):
    emu = emulator_factory(rate_limit=3)
    wait_for_room_in_window()
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        responses = [client.get("/admins") for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"3"}
    refused = responses[3]
    assert refused.json()["errors"][0]["code"] == "rate_limit_exceeded"
    wait = int(refused.headers["X-RateLimit-Reset"]) - unix(refused.headers["Date"])
    assert 1 <= wait <= 10  # a client sleeping Reset - Date lands in the next window


def test_unlimited_still_reports_headers(emulator):
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers()) as client:
        response = client.get("/admins")
    assert response.status_code == 200
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert (
        0
        < int(response.headers["X-RateLimit-Remaining"])
        < int(response.headers["X-RateLimit-Limit"])
    )
