"""Pagination rules over HTTP: per_page, cursors, search cursor in the body, scroll, caps,
embedded lists, mutation during pagination."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.testing import RunningEmulator
from tests.helpers.http import client, error_code, follow_list, follow_search

ALL_CONTACTS = {"query": {"field": "updated_at", "operator": ">", "value": 0}}


def _live_contact_ids(emu: RunningEmulator) -> set[str]:
    return {c for c in emu.world.contacts.ids() if c not in emu.world.merged_contacts}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/contacts"), ("GET", "/conversations"), ("GET", "/companies")],
)
@pytest.mark.parametrize("per_page", ["151", "0", "-1", "abc", "1.5"])
def test_invalid_per_page_is_parameter_invalid(
    emulator: RunningEmulator, method: str, path: str, per_page: str
):
    response = client(emulator).request(method, path, params={"per_page": per_page})
    assert response.status_code == 400
    assert error_code(response) == "parameter_invalid"


@pytest.mark.parametrize("path", ["/contacts/search", "/conversations/search", "/tickets/search"])
def test_search_per_page_above_150_is_refused(emulator: RunningEmulator, path: str):
    body = {**ALL_CONTACTS, "pagination": {"per_page": 151}}
    response = client(emulator).post(path, json=body)
    assert response.status_code == 400
    assert error_code(response) == "parameter_invalid"
    body["pagination"]["per_page"] = 150
    assert client(emulator).post(path, json=body).status_code == 200


def test_cursors_are_opaque_base64_of_sort_value_id_and_page(emulator: RunningEmulator):
    page = (
        client(emulator)
        .post("/contacts/search", json={**ALL_CONTACTS, "pagination": {"per_page": 5}})
        .json()
    )
    following = page["pages"]["next"]
    assert following["page"] == 2
    sort_value, last_id, next_page = json.loads(base64.b64decode(following["starting_after"]))
    assert last_id == page["data"][-1]["id"]
    assert sort_value == page["data"][-1]["updated_at"]  # default order: updated_at
    assert next_page == 2


def test_search_reads_the_cursor_from_the_body_only(emulator: RunningEmulator):
    http = client(emulator)
    body = {**ALL_CONTACTS, "pagination": {"per_page": 5}}
    first = http.post("/contacts/search", json=body).json()
    cursor = first["pages"]["next"]["starting_after"]
    # In the query string the cursor is ignored: page 1 again (as Intercom does).
    again = http.post("/contacts/search", params={"starting_after": cursor}, json=body).json()
    assert [c["id"] for c in again["data"]] == [c["id"] for c in first["data"]]
    assert again["pages"]["page"] == 1
    body["pagination"]["starting_after"] = cursor
    second = http.post("/contacts/search", json=body).json()
    assert second["pages"]["page"] == 2
    assert not {c["id"] for c in second["data"]} & {c["id"] for c in first["data"]}


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMl0=", base64.b64encode(b"[1,2,3]").decode()])
def test_foreign_cursors_are_parameter_invalid(emulator: RunningEmulator, cursor: str):
    http = client(emulator)
    body = {**ALL_CONTACTS, "pagination": {"starting_after": cursor}}
    response = http.post("/contacts/search", json=body)
    assert response.status_code == 400 and error_code(response) == "parameter_invalid"
    response = http.get("/contacts", params={"starting_after": cursor})
    assert response.status_code == 400 and error_code(response) == "parameter_invalid"


def test_invalid_sort_order(emulator: RunningEmulator):
    body = {**ALL_CONTACTS, "sort": {"field": "updated_at", "order": "up"}}
    response = client(emulator).post("/contacts/search", json=body)
    assert response.status_code == 400 and error_code(response) == "invalid_sort_order"


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_search_sort_orders_by_the_field(emulator: RunningEmulator, order: str):
    body = {
        **ALL_CONTACTS,
        "sort": {"field": "created_at", "order": order},
        "pagination": {"per_page": 150},
    }
    pages = list(follow_search(client(emulator), "/contacts/search", body))
    keys = [(c["created_at"], c["id"]) for page in pages for c in page["data"]]
    assert keys == sorted(keys, reverse=order == "descending")
    assert {k[1] for k in keys} == _live_contact_ids(emulator)


def test_last_page_has_no_next_and_total_count_is_the_match_count(emulator: RunningEmulator):
    pages = list(follow_list(client(emulator), "/contacts", {"per_page": 50}))
    assert "next" not in pages[-1]["pages"]
    assert all("next" in p["pages"] for p in pages[:-1])
    expected = len(_live_contact_ids(emulator))
    assert {p["total_count"] for p in pages} == {expected}
    assert pages[0]["pages"]["total_pages"] == -(-expected // 50)


def test_get_conversations_is_newest_updated_first(emulator: RunningEmulator):
    pages = list(follow_list(client(emulator), "/conversations", {"per_page": 7}))
    items = [c for page in pages for c in page["conversations"]]
    keys = [(c["updated_at"], c["id"]) for c in items]
    assert keys == sorted(keys, reverse=True)
    assert {c["id"] for c in items} == set(emulator.world.conversations.ids())
    assert all("conversation_parts" not in c for c in items)


# --- scroll ----------------------------------------------------------------------------------


def _scroll_all(emu: RunningEmulator) -> tuple[list[dict], set[str]]:
    http = client(emu)
    pages, params = [], set()
    response = http.get("/companies/scroll")
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        params.add(page["scroll_param"])
        if not page["data"]:
            return pages, params
        response = http.get("/companies/scroll", params={"scroll_param": page["scroll_param"]})


def test_scroll_visits_every_company_with_one_param_and_ends_empty(emulator: RunningEmulator):
    emulator.control.update({"scroll_page_size": 7})
    pages, params = _scroll_all(emulator)
    assert len(params) == 1  # the same scroll_param on every page
    ids = [c["id"] for page in pages for c in page["data"]]
    assert sorted(ids) == sorted(emulator.world.companies.ids())
    assert pages[-1]["data"] == [] and len(pages) > 2
    assert all(p["pages"] is None and p["total_count"] is None for p in pages)
    # The finished scroll is gone, and a new one may start.
    http = client(emulator)
    finished = http.get("/companies/scroll", params={"scroll_param": params.pop()})
    assert finished.status_code == 404
    assert http.get("/companies/scroll").status_code == 200


def test_one_open_scroll_per_workspace(emulator: RunningEmulator):
    http = client(emulator)
    assert http.get("/companies/scroll").status_code == 200
    response = http.get("/companies/scroll")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "scroll_exists",
        "message": "scroll already exists for this workspace",
    }


def test_idle_scroll_expires_after_a_minute(emulator: RunningEmulator):
    http = client(emulator)
    emulator.control.update({"scroll_page_size": 5})
    param = http.get("/companies/scroll").json()["scroll_param"]
    emulator.advance(59)  # still alive (the idle clock runs on world time + wall time)
    assert http.get("/companies/scroll", params={"scroll_param": param}).status_code == 200
    emulator.advance(61)
    expired = http.get("/companies/scroll", params={"scroll_param": param})
    assert expired.status_code == 404 and error_code(expired) == "not_found"
    assert http.get("/companies/scroll").status_code == 200  # expired: a new one may start


# --- GET /companies (family C) and its 10,000 cap ----------------------------------------------


def test_companies_pages_stop_at_the_cap(emulator: RunningEmulator):
    total = len(emulator.world.companies)
    cap = total - 13
    emulator.control.update({"companies_page_cap": cap})
    http = client(emulator)
    ids, page_no = [], 1
    while True:
        page = http.get("/companies", params={"per_page": 10, "page": page_no}).json()
        ids += [c["id"] for c in page["data"]]
        assert page["total_count"] == total  # the real total, so a client can notice
        if not page["pages"]["next"]:
            break
        assert page["pages"]["next"].endswith(f"page={page_no + 1}&per_page=10")
        page_no += 1
    assert len(ids) == cap == len(set(ids))
    beyond = http.get("/companies", params={"per_page": 10, "page": page_no + 1}).json()
    assert beyond["data"] == []


def test_companies_cap_defaults_to_10000(emulator: RunningEmulator):
    assert emulator.control.settings.companies_page_cap == 10_000


# --- embedded lists ----------------------------------------------------------------------------


def test_embedded_contact_lists_stop_at_10_with_has_more(emulator: RunningEmulator):
    world = emulator.world
    heavy = [c for c in world.contacts.ids() if len(world.contacts.get(c)["tags"]["data"]) > 10]
    assert heavy, "the tiny world has contacts with more than 10 tags"
    http = client(emulator)
    for contact_id in heavy:
        canonical = world.contacts.get(contact_id)
        served = http.get(f"/contacts/{contact_id}").json()
        for key in ("tags", "companies", "notes"):
            complete = canonical[key]["data"]
            assert served[key]["data"] == complete[:10]
            assert served[key]["total_count"] == len(complete)
            assert served[key]["has_more"] == (len(complete) > 10)
        # The sub-resource has them all.
        tags = http.get(f"/contacts/{contact_id}/tags").json()["data"]
        assert [t["id"] for t in tags] == [t["id"] for t in canonical["tags"]["data"]]


def test_contact_companies_sub_resource_pages_through_all(emulator: RunningEmulator):
    world = emulator.world
    contact_id = max(
        world.contacts.ids(), key=lambda c: len(world.contacts.get(c)["companies"]["data"])
    )
    expected = [c["id"] for c in world.contacts.get(contact_id)["companies"]["data"]]
    assert len(expected) > 10
    http = client(emulator)
    ids, page_no = [], 1
    while True:
        page = http.get(
            f"/contacts/{contact_id}/companies", params={"per_page": 4, "page": page_no}
        ).json()
        ids += [c["id"] for c in page["data"]]
        if page["pages"]["next"] is None:
            break
        page_no += 1
    assert ids == expected


# --- change during pagination -------------------------------------------------------------------


def test_records_updated_mid_pagination_move_like_in_intercom(emulator: RunningEmulator):
    emulator.control.update({"mutate_during_pagination": 20})
    before = _live_contact_ids(emulator)
    body = {
        **ALL_CONTACTS,
        "sort": {"field": "updated_at", "order": "ascending"},
        "pagination": {"per_page": 25},
    }
    seen = [
        c["id"]
        for p in follow_search(client(emulator), "/contacts/search", body)
        for c in p["data"]
    ]
    # Ascending by updated_at: a record touched after being served moves behind the cursor
    # and is served again; none that existed is skipped.
    assert before <= set(seen)
    assert len(seen) > len(set(seen))


def test_a_cursor_from_another_sort_field_is_refused_not_a_crash(emulator: RunningEmulator):
    http = client(emulator)
    by_email = {**ALL_CONTACTS, "sort": {"field": "email", "order": "ascending"}}
    first = http.post("/contacts/search", json={**by_email, "pagination": {"per_page": 5}})
    cursor = first.json()["pages"]["next"]["starting_after"]
    by_updated = {**ALL_CONTACTS, "pagination": {"per_page": 5, "starting_after": cursor}}
    response = http.post("/contacts/search", json=by_updated)
    assert response.status_code == 400 and error_code(response) == "parameter_invalid"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_deleted_conversations_feed_pages_every_tombstone(emulator: RunningEmulator, order: str):
    emulator.advance(3 * 86_400)  # more deletions
    expected = sorted(
        emulator.world.deleted_conversations.values(),
        key=lambda item: (item["deleted_at"], item["id"]),
        reverse=order == "desc",
    )
    assert len(expected) > 2
    http = client(emulator, "2.16")
    served, page_no = [], 1
    while True:
        params = {"per_page": 2, "page": page_no, "order": order}
        page = http.get("/conversations/deleted", params=params).json()
        assert page["type"] == "conversations.list" and page["total_count"] == len(expected)
        served += page["conversations"]
        if page["pages"]["next"] is None:
            break
        page_no += 1
    assert served == expected
    too_big = http.get("/conversations/deleted", params={"per_page": 61})
    assert too_big.status_code == 400 and error_code(too_big) == "parameter_invalid"
