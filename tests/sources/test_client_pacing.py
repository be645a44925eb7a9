"""The rate-limit pacer against the emulator's own fixed-window limiter, in simulated time.

No wall-clock timing: a fake clock advances only when the pacer sleeps or a simulated
request takes its latency, so the assertions (429 count, time spent) are deterministic.
The over-HTTP behaviour (threads, real headers) is covered in test_client_http.py.
"""

from __future__ import annotations

import math
from email.utils import formatdate

import pytest

from emulator.http.ratelimit import RateLimiter
from sources.intercom.pacing import RateLimitInfo, RateLimitPacer, parse_http_date

WINDOW_S = 10


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def _simulate(
    *,
    limit: int | None,
    requests: int,
    latency_s: float,
    reset_style: str = "emulator",
    start: float = 1000.37,
) -> tuple[int, float, RateLimitPacer]:
    """Run `requests` sequential requests through a pacer; returns (429s, elapsed, pacer)."""
    clock = FakeClock(start)
    limiter = RateLimiter(limit, window_seconds=WINDOW_S, clock=clock)
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    server_offset = 1_767_225_600.61 - start  # the server's clock: same rate, any offset
    rejected = 0
    for _ in range(requests):
        ticket = pacer.acquire()
        sent = clock.now
        clock.sleep(latency_s / 2)
        decision = limiter.acquire()
        server_now = clock.now + server_offset
        date = math.floor(server_now)
        if reset_style == "emulator":  # Reset = Date + ceil(time left)
            reset = date + decision.reset_in_whole_seconds
        else:  # Reset = the window's end, rounded up to a whole second (absolute)
            reset = math.ceil(decision.reset_at + server_offset)
        headers = {
            "date": formatdate(date, usegmt=True),
            "x-ratelimit-limit": str(decision.limit),
            "x-ratelimit-remaining": str(decision.remaining),
            "x-ratelimit-reset": str(reset),
        }
        clock.sleep(latency_s / 2)
        pacer.observe(ticket, sent, clock.now, headers)
        rejected += not decision.allowed
    return rejected, clock.now - start, pacer


@pytest.mark.parametrize("reset_style", ["emulator", "absolute"])
@pytest.mark.parametrize("limit", [30, 100])
def test_a_steady_run_at_full_speed_sees_no_429(limit: int, reset_style: str) -> None:
    requests = limit * 6
    rejected, elapsed, _ = _simulate(
        limit=limit, requests=requests, latency_s=0.005, reset_style=reset_style
    )
    assert rejected == 0
    # Nearly the whole budget of every window is used: at most ~1.5 windows lost overall
    # (the first, partial window, and the one-second uncertainty of Date at each reset).
    assert elapsed <= (requests / limit + 1.5) * WINDOW_S * 1.1


def test_far_from_the_limit_the_pacer_never_waits() -> None:
    # Intercom's 10,000/min private-app limit at 20 requests/s per thread: no slowdown.
    rejected, _, pacer = _simulate(limit=1666, requests=2000, latency_s=0.05)
    assert rejected == 0
    assert pacer.waited_s == 0


def test_unlimited_emulator_headers_never_slow_a_client_below_the_nominal_rate() -> None:
    # Unlimited, the emulator reports Intercom's nominal 1,666 per window; 100 requests/s
    # stays below it, and spreading the second half of the budget never delays a request.
    rejected, _, pacer = _simulate(limit=None, requests=3000, latency_s=0.01)
    assert rejected == 0
    assert pacer.waited_s == 0


def test_without_rate_limit_headers_the_pacer_is_a_no_op() -> None:
    clock = FakeClock(5.0)
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    for _ in range(50):
        ticket = pacer.acquire()
        pacer.observe(ticket, clock.now, clock.now, {"date": formatdate(0, usegmt=True)})
    assert pacer.waited_s == 0


def test_a_429_blocks_until_the_reported_reset() -> None:
    clock = FakeClock(100.0)
    pacer = RateLimitPacer(clock=clock, sleep=clock.sleep)
    ticket = pacer.acquire()
    headers = {
        "date": formatdate(1_767_225_600, usegmt=True),
        "x-ratelimit-limit": "30",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(1_767_225_600 + 7),
    }
    pacer.observe(ticket, 100.0, 100.0, headers)
    pacer.acquire()
    assert 107.0 <= clock.now <= 107.2


def test_header_parsing_clamps_and_handles_garbage() -> None:
    date = formatdate(1_767_225_600, usegmt=True)
    assert parse_http_date(date) == 1_767_225_600
    assert parse_http_date("not a date") is None
    assert parse_http_date(None) is None
    base = {"date": date, "x-ratelimit-limit": "100", "x-ratelimit-remaining": "5"}
    far = RateLimitInfo.from_headers({**base, "x-ratelimit-reset": str(1_767_225_600 + 3600)})
    assert far is not None and far.window_left_s == 11  # clamped to 0…11 s
    past = RateLimitInfo.from_headers({**base, "x-ratelimit-reset": "1"})
    assert past is not None and past.window_left_s == 0
    assert RateLimitInfo.from_headers({**base, "x-ratelimit-reset": "soon"}) is None
    assert RateLimitInfo.from_headers({"x-ratelimit-limit": "1"}) is None
