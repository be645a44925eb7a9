"""Properties over real HTTP: following cursors visits every record exactly once while nothing
changes, and the same seed gives byte-identical responses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from tests.helpers.http import client, follow_list, follow_search, raw

PROPERTY_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
sort_orders = st.sampled_from([None, "ascending", "descending"])
per_pages = st.integers(min_value=1, max_value=150)


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with running_emulator(WorldConfig(seed=8, scale="tiny")) as running:
        running.advance(7200)  # some same-second updates and merges, as after real activity
        yield running


def _with_sort(body: dict, field: str, order: str | None) -> dict:
    return {**body, "sort": {"field": field, "order": order}} if order else body


def _assert_exactly_once(served: list[str], expected: set[str]) -> None:
    assert len(served) == len(set(served)), "a record was served twice"
    assert set(served) == expected


@PROPERTY_SETTINGS
@given(
    per_page=per_pages,
    order=sort_orders,
    field=st.sampled_from(["updated_at", "created_at", "last_seen_at", "email"]),
    roles=st.sets(st.sampled_from(["user", "lead"]), min_size=1),
)
def test_contact_search_cursors_visit_each_match_once(emu, per_page, order, field, roles):
    world = emu.world
    expected = {
        c
        for c in world.contacts.ids()
        if c not in world.merged_contacts and world.contacts.get(c)["role"] in roles
    }
    body = _with_sort(
        {
            "query": {"field": "role", "operator": "IN", "value": sorted(roles)},
            "pagination": {"per_page": per_page},
        },
        field,
        order,
    )
    pages = list(follow_search(client(emu), "/contacts/search", body))
    served = [c["id"] for page in pages for c in page["data"]]
    _assert_exactly_once(served, expected)
    assert all(len(page["data"]) == per_page for page in pages[:-1])
    assert {page["total_count"] for page in pages} == {len(expected)}


@PROPERTY_SETTINGS
@given(per_page=per_pages, order=sort_orders, cut=st.floats(min_value=0, max_value=1))
def test_conversation_search_cursors_visit_each_match_once(emu, per_page, order, cut):
    store = emu.world.conversations
    stamps = sorted(store.updated_at(c) for c in store.ids())
    bound = stamps[int(cut * (len(stamps) - 1))]
    expected = {c for c in store.ids() if store.updated_at(c) > bound}
    body = _with_sort(
        {
            "query": {"field": "updated_at", "operator": ">", "value": bound},
            "pagination": {"per_page": per_page},
        },
        "updated_at",
        order,
    )
    pages = list(follow_search(client(emu), "/conversations/search", body))
    served = [c["id"] for page in pages for c in page["conversations"]]
    _assert_exactly_once(served, expected)


@PROPERTY_SETTINGS
@given(per_page=per_pages)
def test_contact_list_cursors_visit_each_contact_once(emu, per_page):
    world = emu.world
    expected = {c for c in world.contacts.ids() if c not in world.merged_contacts}
    pages = list(follow_list(client(emu), "/contacts", {"per_page": per_page}))
    _assert_exactly_once([c["id"] for page in pages for c in page["data"]], expected)


@PROPERTY_SETTINGS
@given(per_page=per_pages)
def test_conversation_list_cursors_visit_each_conversation_once(emu, per_page):
    pages = list(follow_list(client(emu), "/conversations", {"per_page": per_page}))
    served = [c["id"] for page in pages for c in page["conversations"]]
    _assert_exactly_once(served, set(emu.world.conversations.ids()))


# --- determinism -------------------------------------------------------------------------------

# Excluded from the comparison, and only these: the rate-limit window position (wall clock)
# and the server's own address, which family-C `pages.next` URLs contain.
WALL_CLOCK_HEADERS = ("x-ratelimit-remaining", "x-ratelimit-reset")


def _session(emu: RunningEmulator) -> list[tuple[int, dict[str, str], bytes]]:
    """A fixed sequence of requests touching every family, with world activity in between."""
    http = client(emu, "2.16")
    old = client(emu, "2.9")
    search = {
        "query": {"field": "updated_at", "operator": ">", "value": 0},
        "pagination": {"per_page": 30},
    }
    responses: list[httpx.Response] = []
    for _ in range(2):
        responses += [
            http.get("/me"),
            http.get("/admins"),
            http.get("/contacts", params={"per_page": 40}),
            http.post("/contacts/search", json=search),
            http.post("/conversations/search", json=search),
            old.post("/conversations/search", json=search),
            http.post("/tickets/search", json=search),
            http.get("/companies", params={"per_page": 20}),
            http.get("/companies/scroll"),
            http.get("/conversations/deleted"),
            http.get("/nope"),
            raw().get(emu.url("/_emulator/truth/contacts")),
        ]
        first = emu.world.conversations.ids()[0]
        responses.append(http.get(f"/conversations/{first}"))
        responses.append(raw().post(emu.url("/_emulator/advance"), json={"seconds": 3600}))
    return [
        (
            r.status_code,
            {k: v for k, v in r.headers.items() if k not in WALL_CLOCK_HEADERS},
            r.content.replace(emu.base_url.encode(), b"http://emulator"),
        )
        for r in responses
    ]


def test_same_seed_gives_byte_identical_responses(emulator_factory):
    config = WorldConfig(seed=21, scale="tiny")
    first = _session(emulator_factory(config, faults={"error_rate": 0.2}))
    second = _session(emulator_factory(config, faults={"error_rate": 0.2}))
    assert [s for s, _, _ in first] == [s for s, _, _ in second]
    for a, b in zip(first, second, strict=True):
        assert a == b
    other = _session(emulator_factory(WorldConfig(seed=22, scale="tiny")))
    assert [body for _, _, body in other] != [body for _, _, body in first]
