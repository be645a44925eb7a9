import re
import threading

import pytest

from emulator.http.scroll import ScrollExists, ScrollExpired, ScrollRegistry


class FakeClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_one_open_scroll_per_workspace():
    reg = ScrollRegistry(clock=FakeClock())
    param = reg.start()
    assert UUID4.match(param)
    with pytest.raises(ScrollExists):
        reg.start()


def test_same_param_every_page_and_position_is_kept():
    clock = FakeClock()
    reg = ScrollRegistry(clock=clock)
    param = reg.start()
    for page in range(5):
        clock.t += 30  # each call refreshes the idle timer, so 30 s gaps are fine
        state = reg.continue_(param)
        assert state.param == param
        assert state.position == page * 100
        state.position += 100
        state.pages_served += 1
    assert reg.current() is state


def test_idle_expiry_after_ttl():
    clock = FakeClock()
    reg = ScrollRegistry(ttl_seconds=60, clock=clock)
    param = reg.start()
    clock.t = 59.9
    reg.continue_(param)
    clock.t = 59.9 + 60
    with pytest.raises(ScrollExpired):
        reg.continue_(param)
    # the lock is released by expiry
    assert reg.start() != param


def test_expired_scroll_releases_the_lock_without_being_touched():
    clock = FakeClock()
    reg = ScrollRegistry(clock=clock)
    reg.start()
    clock.t = 61
    assert reg.current() is None
    reg.start()


def test_finish_expires_param_and_allows_new_scroll():
    reg = ScrollRegistry(clock=FakeClock())
    param = reg.start()
    reg.finish(param)
    with pytest.raises(ScrollExpired):
        reg.continue_(param)
    second = reg.start()
    reg.finish(param)  # stale finish must not close the new scroll
    reg.continue_(second)


def test_unknown_param_and_expire_all():
    reg = ScrollRegistry(clock=FakeClock())
    with pytest.raises(ScrollExpired):
        reg.continue_("nope")
    param = reg.start()
    with pytest.raises(ScrollExpired):
        reg.continue_("nope")
    reg.expire_all()
    with pytest.raises(ScrollExpired):
        reg.continue_(param)


def test_params_are_deterministic_per_seed_and_distinct():
    def params(seed):
        reg = ScrollRegistry(clock=FakeClock(), seed=seed)
        out = []
        for _ in range(5):
            p = reg.start()
            reg.finish(p)
            out.append(p)
        return out

    assert params(7) == params(7)
    assert params(7) != params(8)
    assert len(set(params(7))) == 5


def test_concurrent_starts_only_one_wins():
    reg = ScrollRegistry(clock=FakeClock())
    results = []
    lock = threading.Lock()

    def worker():
        try:
            p = reg.start()
        except ScrollExists:
            p = None
        with lock:
            results.append(p)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(p is not None for p in results) == 1
