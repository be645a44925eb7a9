"""Injected faults over real HTTP: what a client sees, and that a seed replays the same run."""

from __future__ import annotations

import httpx
import pytest

from emulator.world import WorldConfig


def statuses(emu, n: int = 40, path: str = "/admins") -> list[int]:
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        return [client.get(path).status_code for _ in range(n)]


def test_same_seed_same_faults(emulator_factory):
    faults = {"error_rate": 0.4}
    a = emulator_factory(WorldConfig(seed=7, scale="tiny"), faults=faults)
    b = emulator_factory(WorldConfig(seed=7, scale="tiny"), faults=faults)
    first, second = statuses(a), statuses(b)
    assert first == second
    assert {200} < set(first) <= {200, 500, 502, 503, 504}


def test_gateway_errors_can_be_html(emulator_factory):
    emu = emulator_factory(
        faults={"error_rate": 1.0, "error_statuses": [504], "html_error_share": 1.0}
    )
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        response = client.get("/admins")
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.lstrip().startswith("<html")


def test_json_server_errors_use_the_error_envelope(emulator_factory):
    emu = emulator_factory(faults={"error_rate": 1.0, "error_statuses": [500]})
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        response = client.get("/admins")
    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "error.list" and body["errors"][0]["code"] == "server_error"


def test_faults_can_target_one_endpoint(emulator_factory):
    emu = emulator_factory(faults={"endpoints": {"GET /tags": {"error_rate": 1.0}}})
    assert set(statuses(emu, 10, "/admins")) == {200}
    assert 200 not in statuses(emu, 10, "/tags")


def test_rate_limit_burst(emulator_factory):
    emu = emulator_factory(
        faults={"endpoints": {"GET /tags": {"burst_429_rate": 1.0, "burst_length": 3}}}
    )
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        first = client.get("/tags")
        after = [client.get("/admins").status_code for _ in range(3)]
    assert first.status_code == 429
    assert first.json()["errors"][0]["code"] == "rate_limit_exceeded"
    assert after == [429, 429, 200]  # the burst spans endpoints, like Intercom's app-wide limit


def test_malformed_bodies_do_not_parse(emulator_factory):
    emu = emulator_factory(faults={"malformed_rate": 1.0})
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        response = client.get("/admins")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
