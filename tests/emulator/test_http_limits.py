"""Rate limit, index lag, faults, latency and what GET /conversations/{id} keeps."""

from __future__ import annotations

import email.utils
import re

import httpx
import pytest

from emulator.testing import RunningEmulator
from tests.helpers.http import client, error_code, raw


def _date(response: httpx.Response) -> int:
    return int(email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp())


def test_rate_limit_headers_on_every_response_and_429_beyond_the_window(emulator_factory):
    emu = emulator_factory(rate_limit=3)
    http = client(emu)
    responses = [http.get("/me"), http.get("/no-such-endpoint"), http.get("/me")]
    limited = http.get("/me")
    assert [r.status_code for r in responses] == [200, 404, 200]  # every call counts
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == "3"
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert limited.status_code == 429
    assert error_code(limited) == "rate_limit_exceeded"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    # Reset is on the Date clock: the client waits Reset - Date, at most one 10 s window.
    wait = int(limited.headers["X-RateLimit-Reset"]) - _date(limited)
    assert 1 <= wait <= 10


def test_refused_requests_still_carry_rate_limit_headers(emulator: RunningEmulator):
    for response in (
        raw().get(emulator.url("/me")),  # 401
        client(emulator).get("/no-such-endpoint"),  # 404
        client(emulator, "9.9").get("/me"),  # 400
        client(emulator).get("/contacts/000000000000000000000000"),  # 404
    ):
        assert response.status_code >= 400
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Date"):
            assert header in response.headers


def test_rate_limit_can_change_at_runtime(emulator: RunningEmulator):
    http = client(emulator)
    assert http.get("/me").status_code == 200
    emulator.control.update({"rate_limit": 0})
    assert http.get("/me").status_code == 429
    emulator.control.update({"rate_limit": None})
    assert http.get("/me").status_code == 200


def test_a_shorter_rate_limit_window_shortens_the_wait_for_the_reset(emulator_factory):
    emu = emulator_factory(rate_limit=1, rate_limit_window_seconds=2)
    http = client(emu)
    assert http.get("/me").status_code == 200
    limited = http.get("/me")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) - _date(limited) <= 2
    emu.control.update({"rate_limit_window_seconds": 10})  # a new window: the budget is back
    assert http.get("/me").status_code == 200
    limited = http.get("/me")
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) - _date(limited) <= 10
    with pytest.raises(ValueError, match="rate_limit_window_seconds"):
        emu.control.update({"rate_limit_window_seconds": 0})


def test_search_index_lag_hides_new_records_until_they_age(emulator_factory):
    emu = emulator_factory(index_lag_seconds=600)
    before = set(emu.world.contacts.ids())
    emu.advance(300, intensity=20)
    created = set(emu.world.contacts.ids()) - before - set(emu.world.merged_contacts)
    assert created, "the busy world creates contacts"
    body = {
        "query": {"field": "created_at", "operator": ">", "value": 0},
        "pagination": {"per_page": 150},
    }

    def searched() -> set[str]:
        ids, http = set(), client(emu)
        while True:
            page = http.post("/contacts/search", json=body).json()
            ids |= {c["id"] for c in page["data"]}
            if not page["pages"].get("next"):
                body["pagination"].pop("starting_after", None)
                return ids
            body["pagination"]["starting_after"] = page["pages"]["next"]["starting_after"]

    assert not created & searched()  # younger than 10 minutes: not indexed yet
    for contact_id in created:  # but GET finds them
        assert client(emu).get(f"/contacts/{contact_id}").status_code == 200
    emu.advance(600, intensity=0)
    assert created <= searched()


def test_conversation_keeps_the_newest_500_parts_and_counts_all(emulator: RunningEmulator):
    world = emulator.world
    long_id = max(
        world.conversations.ids(),
        key=lambda c: len(world.conversations.get(c)["conversation_parts"]["conversation_parts"]),
    )
    parts = world.conversations.get(long_id)["conversation_parts"]["conversation_parts"]
    assert len(parts) > 500, "the tiny world keeps one conversation with more than 500 parts"
    served = client(emulator).get(f"/conversations/{long_id}").json()["conversation_parts"]
    assert served["total_count"] == len(parts)
    assert [p["id"] for p in served["conversation_parts"]] == [p["id"] for p in parts[-500:]]


def test_display_as_plaintext_strips_html(emulator: RunningEmulator):
    world = emulator.world
    html_id = next(
        c
        for c in world.conversations.ids()
        if "<" in ((world.conversations.get(c)["source"] or {}).get("body") or "")
    )
    http = client(emulator)
    html = http.get(f"/conversations/{html_id}").json()
    plain = http.get(f"/conversations/{html_id}", params={"display_as": "plaintext"}).json()
    assert "<" in html["source"]["body"]
    tag = re.compile(r"<[a-z/][^>]*>")
    assert not tag.search(plain["source"]["body"] or "")
    bodies = [p["body"] for p in plain["conversation_parts"]["conversation_parts"] if p["body"]]
    assert bodies and not any(tag.search(b) for b in bodies)
    assert [p["id"] for p in plain["conversation_parts"]["conversation_parts"]] == [
        p["id"] for p in html["conversation_parts"]["conversation_parts"]
    ]


# --- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_injected_errors_have_the_configured_status(emulator: RunningEmulator, status: int):
    emulator.control.update(
        {
            "faults": {
                "GET /me": {"error_rate": 1.0, "error_statuses": [status], "html_error_share": 0}
            }
        }
    )
    response = client(emulator).get("/me")
    assert response.status_code == status
    assert response.json()["type"] == "error.list"
    assert client(emulator).get("/admins").status_code == 200  # only that endpoint


def test_gateway_errors_can_be_html(emulator: RunningEmulator):
    emulator.control.update(
        {"faults": {"error_rate": 1.0, "error_statuses": [502], "html_error_share": 1.0}}
    )
    response = client(emulator).get("/me")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text


def test_malformed_json_with_status_200(emulator: RunningEmulator):
    emulator.control.update({"faults": {"malformed_rate": 1.0}})
    response = client(emulator).get("/contacts")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_dropped_connections(emulator: RunningEmulator):
    emulator.control.update({"faults": {"drop_rate": 1.0}})
    with pytest.raises(httpx.TransportError):
        client(emulator).get("/contacts")


def test_timeouts_sleep_past_the_client_timeout(emulator: RunningEmulator):
    emulator.control.update({"faults": {"timeout_rate": 1.0, "timeout_seconds": 1}})
    with pytest.raises(httpx.ReadTimeout):
        raw().get(emulator.url("/me"), headers=emulator.headers(), timeout=0.2)


def test_429_bursts_refuse_the_next_requests_too(emulator: RunningEmulator):
    emulator.control.update({"faults": {"GET /me": {"burst_429_rate": 1.0, "burst_length": 3}}})
    first = client(emulator).get("/me")
    emulator.control.update({"faults": None})
    statuses = [first.status_code] + [client(emulator).get("/me").status_code for _ in range(3)]
    assert statuses == [429, 429, 429, 200]


def test_scroll_errors_kill_the_scroll_and_early_expiry_is_404(emulator: RunningEmulator):
    http = client(emulator)
    emulator.control.update({"scroll_page_size": 5})
    param = http.get("/companies/scroll").json()["scroll_param"]
    emulator.control.update({"faults": {"GET /companies/scroll": {"scroll_error_rate": 1.0}}})
    failed = http.get("/companies/scroll", params={"scroll_param": param})
    assert failed.status_code == 500
    assert "restart the scroll" in failed.json()["errors"][0]["message"]
    emulator.control.update({"faults": None})
    assert http.get("/companies/scroll", params={"scroll_param": param}).status_code == 404
    param = http.get("/companies/scroll").json()["scroll_param"]  # restart is possible
    emulator.control.update({"faults": {"GET /companies/scroll": {"scroll_expire_rate": 1.0}}})
    assert http.get("/companies/scroll", params={"scroll_param": param}).status_code == 404


def test_faults_are_reproducible_for_a_seed(emulator_factory):
    faults = {"error_rate": 0.3, "malformed_rate": 0.2, "html_error_share": 0.5}
    runs = []
    for _ in range(2):
        http = client(emulator_factory(faults=faults))
        runs.append([http.get("/me").status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1


def test_bad_fault_config_is_refused(emulator: RunningEmulator):
    response = raw().post(emulator.url("/_emulator/config"), json={"faults": {"error_rate": 2}})
    assert response.status_code == 400
    assert emulator.control.settings.faults is None
