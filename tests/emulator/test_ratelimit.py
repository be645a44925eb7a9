import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.http.ratelimit import DEFAULT_NOMINAL_LIMIT, RateLimiter


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_remaining_counts_down_then_429_until_next_window():
    clock = FakeClock(1000.0)
    rl = RateLimiter(3, clock=clock)
    got = [rl.acquire() for _ in range(5)]
    assert [d.allowed for d in got] == [True, True, True, False, False]
    assert [d.remaining for d in got] == [2, 1, 0, 0, 0]
    assert all(d.limit == 3 for d in got)
    clock.t = 1009.999
    assert not rl.acquire().allowed
    clock.t = 1010.0  # next aligned window refills
    d = rl.acquire()
    assert d.allowed and d.remaining == 2


@settings(max_examples=200)
@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_reset_is_aligned_to_ten_second_boundaries(t):
    rl = RateLimiter(5, clock=FakeClock(t))
    d = rl.acquire()
    assert d.reset_at % 10 == 0
    assert 0 < d.reset_in_seconds <= 10
    assert d.reset_at - d.reset_in_seconds == pytest.approx(t)
    assert 1 <= d.reset_in_whole_seconds <= 10


@settings(max_examples=200)
@given(
    st.integers(min_value=0, max_value=20),
    st.lists(st.floats(min_value=0, max_value=3.0), min_size=1, max_size=60),
)
def test_allowed_per_window_never_exceeds_limit(limit, steps):
    clock = FakeClock(0.0)
    rl = RateLimiter(limit, clock=clock)
    per_window: dict[int, int] = {}
    for step in steps:
        clock.t += step
        d = rl.acquire()
        w = int(clock.t // 10)
        if d.allowed:
            per_window[w] = per_window.get(w, 0) + 1
            assert d.remaining == limit - per_window[w]
        else:
            assert d.remaining == 0
            assert per_window.get(w, 0) == limit
    assert all(n <= limit for n in per_window.values())


def test_unlimited_never_refuses_and_reports_nominal_limit():
    rl = RateLimiter(None, clock=FakeClock(5.0))
    got = [rl.acquire() for _ in range(DEFAULT_NOMINAL_LIMIT + 50)]
    assert all(d.allowed for d in got)
    assert all(d.limit == DEFAULT_NOMINAL_LIMIT for d in got)
    assert got[0].remaining == DEFAULT_NOMINAL_LIMIT - 1
    assert min(d.remaining for d in got) == 1  # never shows an exhausted budget


def test_forced_burst_refuses_exactly_n_and_consumes_no_budget():
    rl = RateLimiter(3, clock=FakeClock(0.0))
    rl.force_429(2)
    got = [rl.acquire() for _ in range(6)]
    assert [d.allowed for d in got] == [False, False, True, True, True, False]
    rl2 = RateLimiter(None, clock=FakeClock(0.0))
    rl2.force_429(1)
    assert [rl2.acquire().allowed for _ in range(3)] == [False, True, True]


def test_set_limit_and_reset():
    rl = RateLimiter(1, clock=FakeClock(0.0))
    assert rl.acquire().allowed and not rl.acquire().allowed
    rl.set_limit(3)
    assert rl.acquire().allowed  # usage kept: 2nd of 3
    rl.reset()
    assert [rl.acquire().allowed for _ in range(4)] == [True, True, True, False]
    with pytest.raises(ValueError):
        rl.set_limit(-1)


def test_thread_safety_exact_budget_under_contention():
    rl = RateLimiter(1000, clock=FakeClock(0.0))
    allowed = []
    lock = threading.Lock()

    def worker():
        n = sum(rl.acquire().allowed for _ in range(500))
        with lock:
            allowed.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 1000
