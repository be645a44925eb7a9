import json
import threading
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.http.faults import (
    GATEWAY_HTML,
    FaultConfig,
    FaultInjector,
    FaultSettings,
    truncate_body,
)

SEARCH = "POST /contacts/search"
SCROLL = "GET /companies/scroll"


def draw(config: dict, key: str = SEARCH, n: int = 2000, seed: int = 1):
    injector = FaultInjector(FaultConfig.from_dict(config), seed=seed)
    return [injector.decide(key) for _ in range(n)]


def test_no_config_means_no_faults_and_no_latency():
    injector = FaultInjector(FaultConfig.from_dict({}), seed=3)
    assert all(injector.decide(SEARCH) is None for _ in range(500))
    assert injector.latency(SEARCH) == 0


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.floats(min_value=0, max_value=1))
def test_same_seed_same_sequence(seed, rate):
    config = {"error_rate": rate / 2, "drop_rate": rate / 4, "malformed_rate": rate / 4}
    assert draw(config, n=100, seed=seed) == draw(config, n=100, seed=seed)


def test_different_seeds_differ():
    config = {"error_rate": 0.5}
    assert draw(config, seed=1) != draw(config, seed=2)


def test_outcome_depends_on_call_count_not_on_earlier_outcomes():
    # the n-th decision is the same whichever endpoint the earlier calls were for
    config = {"error_rate": 0.3, "endpoints": {"GET /admins": {"error_rate": 0.0}}}
    a = FaultInjector(FaultConfig.from_dict(config), seed=9)
    b = FaultInjector(FaultConfig.from_dict(config), seed=9)
    for i in range(50):
        a.decide("GET /admins" if i % 2 else SEARCH)
        b.decide(SEARCH)
    assert [a.decide(SEARCH) for _ in range(100)] == [b.decide(SEARCH) for _ in range(100)]


@pytest.mark.parametrize(
    "rate_name,kind",
    [("error_rate", "error"), ("drop_rate", "drop"), ("malformed_rate", "malformed")],
)
def test_rates_are_respected(rate_name, kind):
    faults = draw({rate_name: 0.2}, n=5000)
    hits = sum(1 for f in faults if f is not None and f.kind == kind)
    assert 0.17 * 5000 < hits < 0.23 * 5000
    assert all(f is None or f.kind == kind for f in faults)


def test_error_mix_and_html_pages():
    faults = [f for f in draw({"error_rate": 1.0, "html_error_share": 0.5}, n=4000) if f]
    statuses = Counter(f.status for f in faults)
    assert set(statuses) == {500, 502, 503, 504}
    assert all(800 < n < 1200 for n in statuses.values())
    for fault in faults:
        if fault.status == 500:
            assert not fault.html and fault.code == "server_error"
        if fault.html:
            assert fault.body == GATEWAY_HTML[fault.status]
            assert fault.code is None
        else:
            assert fault.code and fault.message and fault.body is None
    html_share = sum(f.html for f in faults if f.status != 500) / sum(
        1 for f in faults if f.status != 500
    )
    assert 0.45 < html_share < 0.55


def test_gateway_pages_look_like_intercoms():
    assert "<title>504 Gateway Time-out</title>" in GATEWAY_HTML[504]
    assert "<title>502 Bad Gateway</title>" in GATEWAY_HTML[502]
    with pytest.raises(json.JSONDecodeError):
        json.loads(GATEWAY_HTML[504])


def test_error_statuses_can_be_restricted():
    faults = draw({"error_rate": 1.0, "error_statuses": [503]}, n=200)
    assert {f.status for f in faults} == {503}


def test_timeout_fault_waits_then_answers_a_gateway_timeout():
    (fault,) = draw({"timeout_rate": 1.0, "timeout_seconds": 12}, n=1)
    assert fault.kind == "timeout" and fault.status == 504 and fault.html
    assert fault.delay_seconds == fault.delay == 12


def test_burst_fault_carries_its_length():
    (fault,) = draw({"burst_429_rate": 1.0, "burst_length": 7}, n=1)
    assert (fault.kind, fault.status, fault.count, fault.code) == (
        "rate_limit_burst",
        429,
        7,
        "rate_limit_exceeded",
    )


def test_scroll_faults_only_on_scroll_endpoints():
    config = {"scroll_error_rate": 0.5, "scroll_expire_rate": 0.5}
    assert all(f is None for f in draw(config, key=SEARCH, n=200))
    faults = draw(config, key=SCROLL, n=400)
    kinds = Counter((f.kind, f.status, f.expire_scroll) for f in faults)
    assert set(kinds) == {("error", 500, True), ("scroll_expire", 404, False)}


def test_malformed_bodies_never_parse():
    body = json.dumps({"type": "list", "data": [{"id": str(i)} for i in range(20)]}).encode()
    for fault in draw({"malformed_rate": 1.0}, n=200):
        cut = truncate_body(body, fault.truncate_at)
        assert 0 < len(cut) < len(body) and body.startswith(cut)
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut)
    assert truncate_body(b"{}", 1.0) == b"{"


def test_endpoint_overrides_and_specificity():
    config = FaultConfig.from_dict(
        {
            "error_rate": 0.1,
            "latency_ms": 5,
            "endpoints": {
                "*": {"latency_ms": 50},
                "GET /conversations/{id}": {"error_rate": 0.5},
                "/conversations/{id}": {"error_rate": 0.3},
                "GET /conversations/search": {"error_rate": 0.0},
            },
            "POST /contacts/search": {"drop_rate": 0.25},  # top-level endpoint key
        }
    )
    conv = config.settings_for("GET /conversations/{conversation_id}")
    assert (conv.error_rate, conv.latency_ms) == (0.5, 50)
    assert config.settings_for("GET /conversations/123").error_rate == 0.5
    assert config.settings_for("DELETE /conversations/123").error_rate == 0.3
    assert config.settings_for("GET /conversations/search").error_rate == 0.0
    contacts = config.settings_for(SEARCH)
    assert (contacts.drop_rate, contacts.error_rate, contacts.latency_ms) == (0.25, 0.1, 50)
    assert config.settings_for("GET /admins").error_rate == 0.1


def test_json_round_trip():
    raw = {"error_rate": 0.1, "endpoints": {SEARCH: {"drop_rate": 0.2}}}
    config = FaultConfig.from_json(json.dumps(raw))
    again = FaultConfig.from_dict(config.to_dict())
    assert again == config
    assert again.settings_for(SEARCH).drop_rate == 0.2


@pytest.mark.parametrize(
    "raw",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_rate": True},
        {"error_rate": 0.6, "drop_rate": 0.6},
        {"eror_rate": 0.1},
        {"endpoints": {SEARCH: {"error_rate": 2}}},
        {"endpoints": {SEARCH: {"nope": 1}}},
        {"endpoints": {SEARCH: 0.5}},
        {"burst_length": 0},
        {"error_statuses": [418]},
        {"latency_ms": -1},
        [],
    ],
)
def test_invalid_configs(raw):
    with pytest.raises(ValueError):
        FaultConfig.from_dict(raw)
    with pytest.raises(ValueError):
        FaultConfig.from_json("{not json")


def test_latency_within_jitter_and_deterministic():
    config = FaultConfig.from_dict({"latency_ms": 100, "jitter_ms": 50})
    a, b = FaultInjector(config, seed=4), FaultInjector(config, seed=4)
    values = [a.latency(SEARCH) for _ in range(300)]
    assert values == [b.latency(SEARCH) for _ in range(300)]
    assert all(0.1 <= v < 0.15 for v in values)
    assert max(values) - min(values) > 0.03


def test_thread_safe_same_multiset_of_outcomes():
    config = FaultConfig.from_dict({"error_rate": 0.3, "drop_rate": 0.1})
    reference = FaultInjector(config, seed=5)
    expected = Counter(
        (f.kind, f.status) if f else None for f in (reference.decide(SEARCH) for _ in range(4000))
    )
    injector = FaultInjector(config, seed=5)
    got: Counter = Counter()
    lock = threading.Lock()

    def worker():
        local = Counter(
            (f.kind, f.status) if f else None
            for f in (injector.decide(SEARCH) for _ in range(1000))
        )
        with lock:
            got.update(local)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


def test_settings_defaults_are_valid():
    FaultSettings().validate()
