"""One item of each lookup and content list, `/ticket_states`, `/notes/{id}`, a contact by external
id, `POST /companies/list`, a newsfeed's items and the content searches, over HTTP: what they
serve, per version, and their 404s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from tests.helpers.http import client, error_code


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    # 60 contacts for 40 companies: a few companies have no users (POST /companies/list)
    with running_emulator(WorldConfig(seed=3, scale="tiny", counts={"contacts": 60})) as running:
        yield running


# (detail path, list path, list items key)
LOOKUPS = [
    ("/teams/{id}", "/teams", "teams"),
    ("/tags/{id}", "/tags", "data"),
    ("/segments/{id}", "/segments", "segments"),
    ("/ticket_types/{id}", "/ticket_types", "data"),
]


@pytest.mark.parametrize("version", ["2.9", "2.14", "2.16"])
@pytest.mark.parametrize(("detail", "listing", "key"), LOOKUPS)
def test_each_lookup_item_is_served_as_its_list_serves_it(
    emu: RunningEmulator, detail: str, listing: str, key: str, version: str
):
    http = client(emu, version)
    items = http.get(listing).json()[key]
    assert items
    for item in items:
        response = http.get(detail.format(id=item["id"]))
        assert response.status_code == 200, response.text
        assert response.json() == item


def test_a_segment_has_no_count_outside_the_counted_list(emu: RunningEmulator):
    segment_id = next(iter(emu.world.segments))
    assert "count" not in client(emu).get(f"/segments/{segment_id}").json()


def test_ticket_types_lose_their_states_and_category_before_210(emu: RunningEmulator):
    type_id = next(iter(emu.world.ticket_types))
    old = client(emu, "2.9").get(f"/ticket_types/{type_id}").json()
    new = client(emu, "2.10").get(f"/ticket_types/{type_id}").json()
    assert "ticket_states" not in old and "category" not in old
    assert new["ticket_states"]["data"] and new["category"]


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("/teams/1", "team_not_found", "Team not found"),
        ("/tags/1", "not_found", "Resource Not Found"),
        ("/segments/1", "not_found", "Resource Not Found"),
        ("/ticket_types/1", "not_found", "Resource Not Found"),
        ("/notes/1", "not_found", "Resource Not Found"),
        ("/contacts/find_by_external_id/no-such-user", "not_found", "User Not Found"),
    ],
)
@pytest.mark.parametrize("version", ["2.15", "2.16"])
def test_unknown_ids_get_intercoms_404(
    emu: RunningEmulator, path: str, code: str, message: str, version: str
):
    response = client(emu, version).get(path)
    assert response.status_code == 404
    assert response.json()["type"] == "error.list"
    assert response.json()["errors"] == [{"code": code, "message": message}]


# --- /ticket_states (2.12+) --------------------------------------------------------------------


def test_ticket_states_exist_from_212(emu: RunningEmulator):
    assert client(emu, "2.12").get("/ticket_states").status_code == 200
    response = client(emu, "2.11").get("/ticket_states")
    assert response.status_code == 400 and error_code(response) == "intercom_version_invalid"


def test_ticket_states_list_every_state_with_the_types_that_use_it(emu: RunningEmulator):
    world = emu.world
    body = client(emu).get("/ticket_states").json()
    assert body["type"] == "list"
    states = {s["id"]: s for s in body["data"]}
    assert set(states) == set(world.ticket_states)
    for type_id, ticket_type in world.ticket_types.items():
        for category, state in world.states_of_type(type_id).items():
            served = states[state["id"]]
            assert served["category"] == category
            assert ticket_type in served["ticket_types"]["data"]
    for state_id, served in states.items():
        using = [
            t
            for t in world.ticket_types
            if state_id in {s["id"] for s in world.states_of_type(t).values()}
        ]
        assert [t["id"] for t in served["ticket_types"]["data"]] == using
    archived = [s for s in states.values() if s["archived"]]
    assert archived and all(s["ticket_types"]["data"] == [] for s in archived)


def test_ticket_states_of_tickets_are_all_listed(emu: RunningEmulator):
    served = {s["id"] for s in client(emu).get("/ticket_states").json()["data"]}
    store = emu.world.tickets
    assert {store.get(t)["ticket_state"]["id"] for t in store.ids()} <= served


# --- notes, contacts by external id -------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.9", "2.16"])
def test_a_note_is_served_as_the_contact_notes_list_serves_it(emu: RunningEmulator, version: str):
    world = emu.world
    contact_id = max(world.contacts.ids(), key=lambda c: len(world.contact_notes(c)))
    http = client(emu, version)
    notes = http.get(f"/contacts/{contact_id}/notes").json()["data"]
    assert notes
    for note in notes:
        assert http.get(f"/notes/{note['id']}").json() == note


def _users(world: Any) -> list[dict[str, Any]]:
    return [c for c in world.contacts.values(with_parts=False) if c["role"] == "user"]


@pytest.mark.parametrize("version", ["2.10", "2.16"])
def test_a_user_is_found_by_external_id_as_by_id(emu: RunningEmulator, version: str):
    http = client(emu, version)
    for user in _users(emu.world)[:3]:
        response = http.get(f"/contacts/find_by_external_id/{user['external_id']}")
        assert response.status_code == 200
        assert response.json() == http.get(f"/contacts/{user['id']}").json()


def test_leads_are_not_found_by_external_id(emu: RunningEmulator):
    world = emu.world
    lead = next(c for c in world.contacts.values(with_parts=False) if c["role"] == "lead")
    with emu.control.lock:  # a lead given an external id, only for this request
        world.contacts.put({**lead, "external_id": "lead-with-an-external-id"})
    try:
        response = client(emu).get("/contacts/find_by_external_id/lead-with-an-external-id")
    finally:
        with emu.control.lock:
            world.contacts.put(lead)
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_find_by_external_id_is_absent_from_29(emu: RunningEmulator):
    user = _users(emu.world)[0]
    response = client(emu, "2.9").get(f"/contacts/find_by_external_id/{user['external_id']}")
    assert response.status_code == 400 and error_code(response) == "intercom_version_invalid"


# --- POST /companies/list --------------------------------------------------------------------


def _listed(emu: RunningEmulator, **params: Any) -> list[dict[str, Any]]:
    http = client(emu)
    companies, page = [], 1
    while True:
        response = http.post("/companies/list", params={"per_page": 7, "page": page, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        companies += body["data"]
        if not body["pages"]["next"]:
            return companies
        page += 1


@pytest.mark.parametrize("order", [None, "desc", "asc"])
def test_companies_list_orders_by_last_request_and_leaves_out_companies_without_users(
    emu: RunningEmulator, order: str | None
):
    world = emu.world
    companies = _listed(emu, **({"order": order} if order else {}))
    with_users = {c for c in world.companies.ids() if world.company_contact_ids(c)}
    assert len(with_users) < len(world.companies), "every company has users: nothing left out"
    assert [c["id"] for c in companies if c["id"] in with_users] == [c["id"] for c in companies]
    assert sorted(c["id"] for c in companies) == sorted(with_users)
    seen = [c.get("last_request_at") or 0 for c in companies]
    assert seen == sorted(seen, reverse=order != "asc")
    assert len(set(seen)) > 1, "the order check would prove nothing"


def test_companies_list_refuses_an_unknown_order(emu: RunningEmulator):
    response = client(emu).post("/companies/list", params={"order": "newest"})
    assert response.status_code == 400 and error_code(response) == "parameter_invalid"


def test_companies_list_stops_at_the_page_cap(emulator: RunningEmulator):
    emulator.control.update({"companies_page_cap": 5})
    body = client(emulator).post("/companies/list", params={"per_page": 4, "page": 2}).json()
    assert len(body["data"]) == 1 and body["pages"]["next"] is None
    assert body["total_count"] > 5  # the real total, so a client can notice


# --- one item of each content list, a newsfeed's items, the content searches -----------------

# (detail path, list path, versions whose spec has the detail)
CONTENT = [
    ("/help_center/help_centers/{id}", "/help_center/help_centers?per_page=150", ("2.9", "2.16")),
    ("/help_center/collections/{id}", "/help_center/collections?per_page=150", ("2.9", "2.16")),
    ("/internal_articles/{id}", "/internal_articles?per_page=150", ("2.14", "2.16")),
    ("/news/news_items/{id}", "/news/news_items?per_page=150", ("2.9", "2.16")),
    ("/news/newsfeeds/{id}", "/news/newsfeeds?per_page=150", ("2.9", "2.16")),
]


@pytest.mark.parametrize(
    ("detail", "listing", "version"),
    [(d, listing, v) for d, listing, versions in CONTENT for v in versions],
)
def test_each_content_item_is_served_as_its_list_serves_it(
    emu: RunningEmulator, detail: str, listing: str, version: str
):
    http = client(emu, version)
    items = http.get(listing).json()["data"]
    assert items
    for item in items:
        response = http.get(detail.format(id=item["id"]))
        assert response.status_code == 200, response.text
        assert response.json() == item
    response = http.get(detail.format(id="999999"))
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]


def test_a_29_section_is_not_a_collection(emu: RunningEmulator):
    section = client(emu, "2.9").get("/help_center/sections").json()["data"][0]
    assert client(emu, "2.9").get(f"/help_center/collections/{section['id']}").status_code == 404
    assert client(emu, "2.16").get(f"/help_center/collections/{section['id']}").status_code == 200


def test_a_newsfeed_lists_its_live_items(emu: RunningEmulator):
    http = client(emu)
    items = http.get("/news/news_items?per_page=150").json()["data"]
    assert {i["state"] for i in items} == {"live", "draft"}, "no draft left out: proves nothing"
    for feed in http.get("/news/newsfeeds").json()["data"]:
        served = http.get(f"/news/newsfeeds/{feed['id']}/items?per_page=150").json()
        expected = [
            i
            for i in items
            if i["state"] == "live"
            and int(feed["id"]) in {a["newsfeed_id"] for a in i["newsfeed_assignments"]}
        ]
        assert served["data"] == expected and served["total_count"] == len(expected)
    assert http.get("/news/newsfeeds/999999/items").status_code == 404


def _search(emu: RunningEmulator, **params: Any) -> dict[str, Any]:
    response = client(emu).get("/articles/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_article_search_filters_by_phrase_state_and_help_center(emu: RunningEmulator):
    world = emu.world
    articles = client(emu).get("/articles?per_page=150").json()["data"]
    assert _search(emu)["data"]["articles"] == articles  # no filter: every article, list order
    one = articles[0]
    found = _search(emu, phrase=one["title"].upper())["data"]["articles"]
    assert [a["id"] for a in found] == [one["id"]]
    drafts = _search(emu, state="draft")["data"]["articles"]
    assert drafts and drafts == [a for a in articles if a["state"] == "draft"]
    collections = world.content["help_center_collections"]
    center = str(collections[str(one["parent_ids"][0])]["help_center_id"])
    in_center = _search(emu, help_center_id=center)["data"]["articles"]
    assert one in in_center
    assert all(
        str(collections[str(a["parent_ids"][0])]["help_center_id"]) == center for a in in_center
    )
    assert _search(emu, phrase="no article says this")["total_count"] == 0
    bad = client(emu).get("/articles/search", params={"state": "live"})
    assert bad.status_code == 400 and error_code(bad) == "parameter_invalid"


def test_article_search_highlights_the_phrase(emu: RunningEmulator):
    body = _search(emu, phrase="HOW TO", highlight="true")
    articles, highlights = body["data"]["articles"], body["data"]["highlights"]
    assert articles and [h["article_id"] for h in highlights] == [a["id"] for a in articles]
    for article, highlight in zip(articles, highlights, strict=True):
        title = highlight["highlighted_title"]
        assert "".join(c["text"] for c in title) == article["title"]
        assert {"type": "highlight", "text": "how to"} in title
    assert _search(emu, phrase="how to")["data"]["highlights"] == []


def test_internal_article_search_serves_every_article_and_no_folder(emu: RunningEmulator):
    http = client(emu)
    articles = http.get("/internal_articles?per_page=150").json()["data"]
    body = http.get("/internal_articles/search").json()
    assert articles and body["data"]["internal_articles"] == articles
    assert body["total_count"] == len(articles)
    assert http.get("/internal_articles/search?folder_id=1").json()["total_count"] == 0
    assert http.get("/articles/search", headers={"Intercom-Version": "2.9"}).status_code == 400
