"""Intercom's refusals over HTTP: auth, Accept, versions, error envelope, merged contacts."""

from __future__ import annotations

import email.utils
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulator.testing import RunningEmulator
from emulator.world import WorldConfig
from tests.helpers.http import client, error_code, raw


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic dGVzdA==", "Bearer", "test-token"]
)
def test_requests_without_the_right_bearer_token_get_401(
    emulator: RunningEmulator, authorization: str | None
):
    headers = {"Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = raw().get(emulator.url("/me"), headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    assert uuid.UUID(body["request_id"])  # a uuid, as Intercom's


def test_revoked_token_gets_token_revoked(emulator: RunningEmulator):
    assert client(emulator).get("/me").status_code == 200
    emulator.control.update({"revoked_tokens": [emulator.token]})
    response = client(emulator).get("/me")
    assert response.status_code == 401
    assert error_code(response) == "token_revoked"


def test_request_ids_are_unique_per_request(emulator: RunningEmulator):
    http = httpx.Client(base_url=emulator.base_url)
    ids = {http.get("/me").json()["request_id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/csv"])
def test_non_json_accept_gets_406(emulator: RunningEmulator, accept: str):
    headers = {**emulator.headers(), "Accept": accept}
    response = raw().get(emulator.url("/me"), headers=headers)
    assert response.status_code == 406


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/json, text/plain"])
def test_json_compatible_accept_is_served(emulator: RunningEmulator, accept: str):
    headers = {**emulator.headers(), "Accept": accept}
    assert raw().get(emulator.url("/me"), headers=headers).status_code == 200


@pytest.mark.parametrize("version", ["3.0", "2.17", "preview", "v2.9", "latest", ""])
def test_unknown_versions_get_intercom_version_invalid(emulator: RunningEmulator, version: str):
    response = client(emulator, version).get("/me")
    assert response.status_code == 400
    assert error_code(response) == "intercom_version_invalid"


@pytest.mark.parametrize("version", ["1.0", "1.4", "2.0", "2.9", "2.10", "2.15", "2.16", "Preview"])
def test_every_stable_version_is_accepted(emulator: RunningEmulator, version: str):
    assert client(emulator, version).get("/me").status_code == 200


def test_default_version_applies_without_header(emulator_factory):
    emu = emulator_factory(api_version="2.9")
    contact_id = emu.world.contacts.ids()[0]
    owner = client(emu).get(f"/contacts/{contact_id}").json()["owner_id"]
    assert owner is None or isinstance(owner, int)  # 2.9 shape
    emu.control.update({"default_version": "2.16"})
    owner = client(emu).get(f"/contacts/{contact_id}").json()["owner_id"]
    assert owner is None or isinstance(owner, str)


def test_date_header_is_the_data_clock(emulator: RunningEmulator):
    response = client(emulator).get("/me")
    assert email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp() == (
        emulator.world.now
    )
    emulator.advance(3600)
    response = client(emulator).get("/me")
    assert email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp() == (
        emulator.world.now
    )
    assert "server" not in response.headers


def test_unknown_paths_and_methods_get_json_404(emulator: RunningEmulator):
    http = client(emulator)
    for response in (http.get("/nope"), http.delete("/me"), http.get("/contacts/x/y/z")):
        assert response.status_code == 404
        assert error_code(response) == "not_found"


def test_missing_records_get_their_404_codes(emulator: RunningEmulator):
    http = client(emulator)
    cases = {
        "/contacts/000000000000000000000000": ("not_found", "User Not Found"),
        "/companies/000000000000000000000000": ("company_not_found", "Company Not Found"),
        "/conversations/1": ("not_found", "Resource Not Found"),
        "/tickets/1": ("ticket_not_found", "Ticket not found"),
        "/admins/1": ("admin_not_found", "Admin not found"),
    }
    for path, (code, message) in cases.items():
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"] == [{"code": code, "message": message}]


# --- version shapes (API-NOTES §6) -----------------------------------------------------------


def _conversation_ids(emu: RunningEmulator, predicate) -> list[str]:
    store = emu.world.conversations
    return [c for c in store.ids() if predicate(store.get(c))]


def test_conversation_shapes_differ_between_29_and_216(emulator: RunningEmulator):
    world = emulator.world
    unassigned = _conversation_ids(emulator, lambda c: c["admin_assignee_id"] == 0)
    assigned = _conversation_ids(emulator, lambda c: c["admin_assignee_id"] != 0)
    assert unassigned and assigned
    for conversation_id in (unassigned[0], assigned[0]):
        canonical = world.conversations.get(conversation_id)
        new = client(emulator, "2.16").get(f"/conversations/{conversation_id}").json()
        old = client(emulator, "2.9").get(f"/conversations/{conversation_id}").json()
        assert new["priority"] == canonical["priority"]
        assert new["priority"] in ("none", "low", "medium", "high", "urgent")
        expected_old = "not_priority" if canonical["priority"] == "none" else "priority"
        assert old["priority"] == expected_old
        assert new["admin_assignee_id"] == canonical["admin_assignee_id"]  # 0 = unassigned
        assert old["admin_assignee_id"] == (canonical["admin_assignee_id"] or None)
        assert "ai_agent" in new and "ai_agent" not in old


def test_contact_owner_id_is_a_string_in_216_and_an_integer_in_29(emulator: RunningEmulator):
    store = emulator.world.contacts
    owned = next(c for c in store.ids() if store.get(c)["owner_id"])
    new = client(emulator, "2.16").get(f"/contacts/{owned}").json()
    old = client(emulator, "2.9").get(f"/contacts/{owned}").json()
    assert new["owner_id"] == store.get(owned)["owner_id"]
    assert isinstance(new["owner_id"], str)
    assert old["owner_id"] == int(new["owner_id"])


def test_ticket_state_is_an_object_from_212_and_a_string_before(emulator: RunningEmulator):
    ticket_id = emulator.world.tickets.ids()[0]
    canonical = emulator.world.tickets.get(ticket_id)["ticket_state"]
    new = client(emulator, "2.12").get(f"/tickets/{ticket_id}").json()
    old = client(emulator, "2.9").get(f"/tickets/{ticket_id}").json()
    assert new["ticket_state"] == canonical and new["ticket_state"]["type"] == "ticket_state"
    assert old["ticket_state"] == canonical["category"]
    assert old["ticket_state_internal_label"] == canonical["internal_label"]
    assert old["ticket_state_external_label"] == canonical["external_label"]
    assert isinstance(old["admin_assignee_id"], str)
    assert isinstance(
        client(emulator, "2.16").get(f"/tickets/{ticket_id}").json()["admin_assignee_id"], int
    )


def test_tickets_search_exists_from_210(emulator: RunningEmulator):
    body = {"query": {"field": "updated_at", "operator": ">", "value": 0}}
    assert client(emulator, "2.10").post("/tickets/search", json=body).status_code == 200
    response = client(emulator, "2.9").post("/tickets/search", json=body)
    assert response.status_code == 400 and error_code(response) == "intercom_version_invalid"


# --- merged contacts -------------------------------------------------------------------------


def test_merged_contact_is_410_with_link_in_216_and_404_before(emulator: RunningEmulator):
    world = emulator.world
    assert world.merged_contacts, "the tiny world starts with merged contacts"
    merged_id, (into_id, _) = next(iter(world.merged_contacts.items()))
    response = client(emulator, "2.16").get(f"/contacts/{merged_id}")
    assert response.status_code == 410
    assert error_code(response) == "contact_merged"
    assert (
        response.headers["Link"]
        == f'</contacts/{world.resolve_merged(merged_id)}>; rel="canonical"'
    )
    assert world.resolve_merged(merged_id) == into_id  # one hop here
    response = client(emulator, "2.9").get(f"/contacts/{merged_id}")
    assert response.status_code == 404
    assert response.json()["errors"][0] == {"code": "not_found", "message": "User Not Found"}


def test_merged_contacts_are_never_listed_or_searched(emulator: RunningEmulator):
    merged = set(emulator.world.merged_contacts)
    http = client(emulator)
    listed = http.get("/contacts", params={"per_page": 150}).json()
    body = {
        "query": {"field": "updated_at", "operator": ">", "value": 0},
        "pagination": {"per_page": 150},
    }
    searched = http.post("/contacts/search", json=body).json()
    ids = {c["id"] for c in listed["data"]} | {c["id"] for c in searched["data"]}
    assert merged and not merged & ids


def test_merge_history_only_with_the_query_flag_and_only_for_users(emulator: RunningEmulator):
    world = emulator.world
    users = [c for c in world.contacts.ids() if world.contacts.get(c)["role"] == "user"]
    with_history = [c for c in users if world.contacts.get(c)["merge_history"]]
    assert with_history
    http = client(emulator, "2.16")
    plain = http.get(f"/contacts/{with_history[0]}").json()
    assert "merge_history" not in plain
    flagged = http.get(f"/contacts/{with_history[0]}", params={"include_merge_history": "true"})
    assert flagged.json()["merge_history"] == world.contacts.get(with_history[0])["merge_history"]
    lead = next(c for c in world.contacts.ids() if world.contacts.get(c)["role"] == "lead")
    lead_body = http.get(f"/contacts/{lead}", params={"include_merge_history": "true"}).json()
    assert "merge_history" not in lead_body
    old = client(emulator, "2.9").get(
        f"/contacts/{with_history[0]}", params={"include_merge_history": "true"}
    )
    assert "merge_history" not in old.json()


def test_merge_history_endpoint_pages_every_entry(emulator_factory):
    emu = emulator_factory(WorldConfig(seed=3, scale="tiny"))
    world = emu.world
    user = max(world.contacts.ids(), key=lambda c: len(world.contacts.get(c)["merge_history"]))
    expected = world.contacts.get(user)["merge_history"]
    assert expected
    http = client(emu, "2.16")
    seen, cursor = [], None
    while True:
        params = {"per_page": 1, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"/contacts/{user}/merge_history", params=params).json()
        seen += page["data"]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert sorted(e["source_contact_id"] for e in seen) == sorted(
        e["source_contact_id"] for e in expected
    )


# --- contact search on custom attributes ------------------------------------------------------


def test_contact_search_on_a_date_custom_attribute_matches_the_local_day(emulator):
    world = emulator.world
    zone = ZoneInfo(world.timezone)
    live = [world.contacts.get(c) for c in world.contacts.ids() if c not in world.merged_contacts]
    value = next(
        c["custom_attributes"]["trial_ends_at"]
        for c in live
        if c["custom_attributes"].get("trial_ends_at")
    )
    day = datetime.fromtimestamp(value, zone).date()
    expected = {
        c["id"]
        for c in live
        if c["custom_attributes"].get("trial_ends_at") is not None
        and datetime.fromtimestamp(c["custom_attributes"]["trial_ends_at"], zone).date() == day
    }
    body = {
        "query": {"field": "custom_attributes.trial_ends_at", "operator": "=", "value": value + 1},
        "pagination": {"per_page": 150},
    }
    found = client(emulator).post("/contacts/search", json=body).json()["data"]
    assert {c["id"] for c in found} == expected


def test_contact_search_on_an_undeclared_custom_attribute_is_refused(emulator):
    body = {"query": {"field": "custom_attributes.no_such_thing", "operator": "=", "value": "x"}}
    response = client(emulator).post("/contacts/search", json=body)
    assert response.status_code == 400
    assert error_code(response) == "parameter_invalid"


@pytest.mark.parametrize("inclusive", [False, True])
def test_conversation_search_bound_inclusion_is_a_setting(emulator, inclusive: bool):
    emulator.control.update({"search_inclusive_range": inclusive})
    store = emulator.world.conversations
    bound = store.updated_at(store.ids()[0])
    expected = {
        c
        for c in store.ids()
        if store.updated_at(c) > bound or (inclusive and store.updated_at(c) == bound)
    }
    body = {
        "query": {"field": "updated_at", "operator": ">", "value": bound},
        "pagination": {"per_page": 150},
    }
    found = client(emulator).post("/conversations/search", json=body).json()["conversations"]
    assert {c["id"] for c in found} == expected
    assert (store.ids()[0] in expected) is inclusive


def test_preview_compares_contact_dates_to_the_second(emulator):
    store = emulator.world.contacts
    live = [c for c in store.ids() if c not in emulator.world.merged_contacts]
    bound = sorted(store.updated_at(c) for c in live)[len(live) // 2]
    body = {
        "query": {"field": "updated_at", "operator": ">=", "value": bound},
        "pagination": {"per_page": 150},
    }
    stable = client(emulator, "2.16").post("/contacts/search", json=body)
    assert stable.status_code == 400  # no >= on dates in stable versions
    ids, http = set(), client(emulator, "Preview")
    while True:
        page = http.post("/contacts/search", json=body).json()
        ids |= {c["id"] for c in page["data"]}
        if not page["pages"].get("next"):
            break
        body["pagination"]["starting_after"] = page["pages"]["next"]["starting_after"]
    assert ids == {c for c in live if store.updated_at(c) >= bound}


@pytest.mark.parametrize("skew", [900, -900])
def test_date_header_can_run_ahead_or_behind_the_data_clock(emulator_factory, skew: int):
    """`date_skew_seconds`: the host answering need not share the clock stamping `updated_at`."""
    emu = emulator_factory(date_skew_seconds=skew)
    response = client(emu).get("/me")
    date = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert date == emu.world.now + skew
    assert int(response.headers["X-RateLimit-Reset"]) >= date  # on the Date clock
    emu.control.update({"date_skew_seconds": 0})
    response = client(emu).get("/me")
    assert email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp() == emu.world.now
