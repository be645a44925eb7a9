"""`/_emulator/*` control endpoints and the `intercom-emulator` CLI."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys

import httpx
import pytest

from emulator.testing import RunningEmulator
from emulator.world import WorldConfig
from emulator.world.generate import generate_world
from emulator.world.truth import truth_rows
from tests.helpers.http import client, raw


def test_advance_moves_the_data_clock_and_changes_the_world(emulator: RunningEmulator):
    start = emulator.world.now
    response = raw().post(emulator.url("/_emulator/advance"), json={"seconds": 7200})
    assert response.status_code == 200
    body = response.json()
    assert body["now"] == start + 7200 == emulator.world.now
    assert body["changes"]["records_changed"] > 0
    date = client(emulator).get("/me").headers["Date"]
    assert email.utils.parsedate_to_datetime(date).timestamp() == start + 7200


@pytest.mark.parametrize("body", [{}, {"seconds": "x"}, {"seconds": -1}, [1]])
def test_advance_refuses_bad_bodies(emulator: RunningEmulator, body):
    assert raw().post(emulator.url("/_emulator/advance"), json=body).status_code == 400


def test_reset_regenerates_the_original_world(emulator: RunningEmulator):
    fresh = generate_world(emulator.world.cfg)
    raw().post(emulator.url("/_emulator/advance"), json={"seconds": 86400})
    client(emulator).get("/companies/scroll")  # an open scroll is forgotten too
    assert raw().post(emulator.url("/_emulator/reset")).status_code == 200
    assert emulator.world.now == fresh.now
    assert list(emulator.world.contacts.ids()) == list(fresh.contacts.ids())
    served = client(emulator).get("/contacts", params={"per_page": 150}).json()
    assert served["total_count"] == len(fresh.contacts)
    assert client(emulator).get("/companies/scroll").status_code == 200


@pytest.mark.parametrize("entity", ["contacts", "conversation_parts", "contacts__tags"])
def test_truth_is_ndjson_of_world_truth(emulator: RunningEmulator, entity: str):
    response = raw().get(emulator.url(f"/_emulator/truth/{entity}"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert rows == list(truth_rows(emulator.world, entity))
    assert raw().get(emulator.url("/_emulator/truth/nope")).status_code == 404


def test_stats_count_requests_per_endpoint_and_status(emulator: RunningEmulator):
    http = client(emulator)
    http.get("/me")
    http.get("/me")
    http.get("/contacts/000000000000000000000000")
    raw().get(emulator.url("/me"))  # no token
    stats = raw().get(emulator.url("/_emulator/stats")).json()
    assert stats["endpoints"]["GET /me"] == {"200": 2, "401": 1}
    assert stats["endpoints"]["GET /contacts/{id}"] == {"404": 1}
    assert stats["total"] == 4


def test_config_round_trip_and_validation(emulator: RunningEmulator):
    url = emulator.url("/_emulator/config")
    current = raw().get(url).json()
    assert current["default_version"] == "2.16" and current["rate_limit"] is None
    updated = raw().post(url, json={"rate_limit": 50, "index_lag_seconds": 30}).json()
    assert updated["rate_limit"] == 50 and updated["index_lag_seconds"] == 30
    assert client(emulator).get("/me").headers["X-RateLimit-Limit"] == "50"
    for bad in (
        {"nope": 1},
        {"rate_limit": -1},
        {"default_version": "3.0"},
        {"latency_ms": "slow"},
        {"revoked_tokens": "x"},
    ):
        assert raw().post(url, json=bad).status_code == 400, bad
    assert raw().get(url).json() == updated  # refused updates change nothing


def test_touch_changes_records_now(emulator: RunningEmulator):
    response = raw().post(emulator.url("/_emulator/touch"), json={"k": 3})
    changed = response.json()["changed"]
    assert len(changed) == 3
    for entity, record_id in changed:
        assert getattr(emulator.world, entity).updated_at(record_id) == emulator.world.now


def test_latency_setting_delays_responses_without_changing_them(emulator: RunningEmulator):
    fast = client(emulator).get("/tags")
    emulator.control.update({"latency_ms": 300})
    with pytest.raises(httpx.ReadTimeout):
        raw().get(emulator.url("/tags"), headers=emulator.headers(), timeout=0.05)
    slow = raw().get(emulator.url("/tags"), headers=emulator.headers(), timeout=5)
    assert slow.content == fast.content


# --- CLI ---------------------------------------------------------------------------------------


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "emulator", *args]


def test_cli_serves_and_prints_base_url_and_token():
    process = subprocess.Popen(
        _cli("serve", "--port", "0", "--seed", "4", "--contacts", "20", "--api-version", "2.9"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().removeprefix("base_url: ")
        token = process.stdout.readline().strip().removeprefix("token: ")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        contacts = raw().get(f"{base_url}/contacts", headers=headers, timeout=10).json()
        assert contacts["total_count"] == 20 - len(
            generate_world(WorldConfig(seed=4, counts={"contacts": 20})).merged_contacts
        )
        owner_ids = [c["owner_id"] for c in contacts["data"] if c["owner_id"] is not None]
        assert owner_ids and all(isinstance(o, int) for o in owner_ids)  # --api-version 2.9
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_never_echoes_a_token_it_was_given():
    process = subprocess.Popen(
        _cli("serve", "--port", "0", "--token", "my-secret-value", "--contacts", "5"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "my-secret-value" not in "".join(lines)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--scale", "huge"],
        ["serve", "--timezone", "Mars/Olympus_Mons"],
        ["serve", "--faults", "{not json"],
        ["serve", "--faults", '{"error_rate": 5}'],
        ["serve", "--rate-limit", "-1"],
        ["serve", "--api-version", "3.0"],
        ["serve", "--port", "http"],
        [],
    ],
)
def test_cli_bad_arguments_fail_clearly(args: list[str]):
    result = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "error" in result.stderr.lower()
    assert result.stdout == ""


def test_a_stopped_emulator_refuses_new_and_kept_alive_connections() -> None:
    from emulator.testing import running_emulator

    with httpx.Client() as kept:
        with running_emulator(WorldConfig(seed=3, scale="tiny")) as emu:
            assert kept.get(emu.url("/me"), headers=emu.headers()).status_code == 200
        with pytest.raises(httpx.ConnectError):  # the kept-alive connection was shut down too
            kept.get(emu.url("/me"), headers=emu.headers())
    with pytest.raises(httpx.ConnectError):
        httpx.get(emu.url("/me"), headers=emu.headers())
