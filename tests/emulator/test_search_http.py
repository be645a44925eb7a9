"""Search rules seen over real HTTP: every page followed, compared with the world's own records.

The expectations are computed from the live world with an independent oracle (local calendar
dates via zoneinfo for contacts, plain second comparisons for conversations/tickets)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulator.cursors import decode_cursor
from emulator.search import compile_search
from emulator.world import WorldConfig

ITEMS_KEY = {"contacts": "data", "conversations": "conversations", "tickets": "tickets"}


def search_all(emu: Any, entity: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow `pages.next.starting_after` (in the body) to the end."""
    records: list[dict[str, Any]] = []
    body = {**body, "pagination": {"per_page": 7}}
    with httpx.Client(base_url=emu.base_url, headers=emu.headers(), timeout=30) as client:
        for _ in range(1000):
            response = client.post(f"/{entity}/search", json=body)
            assert response.status_code == 200, response.text
            payload = response.json()
            records.extend(payload[ITEMS_KEY[entity]])
            nxt = payload["pages"].get("next")
            if not nxt:
                return records
            body["pagination"]["starting_after"] = nxt["starting_after"]
    raise AssertionError("pagination did not end")


def ascending(field: str = "updated_at") -> dict[str, Any]:
    return {"sort": {"field": field, "order": "ascending"}}


def world_records(emu: Any, entity: str) -> list[dict[str, Any]]:
    store = getattr(emu.world, entity)
    merged = emu.world.merged_contacts if entity == "contacts" else {}
    return [store.get(i) for i in store.ids() if i not in merged]


def median_updated_at(records: list[dict[str, Any]]) -> int:
    return sorted(r["updated_at"] for r in records)[len(records) // 2]


@pytest.mark.parametrize(
    "zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "Europe/London"]
)
def test_contact_search_matches_by_local_day(emulator_factory, zone):
    emu = emulator_factory(WorldConfig(seed=5, scale="tiny", timezone=zone))
    records = world_records(emu, "contacts")
    x = median_updated_at(records)
    tz = ZoneInfo(zone)

    def day(ts: int):
        return datetime.fromtimestamp(ts, tz).date()

    oracles: dict[str, Callable[[int], bool]] = {
        "=": lambda t: day(t) == day(x),
        ">": lambda t: day(t) > day(x),
        "<": lambda t: day(t) < day(x),
    }
    for op, oracle in oracles.items():
        query = {"field": "updated_at", "operator": op, "value": x}
        got = search_all(emu, "contacts", {"query": query, **ascending()})
        ids = [r["id"] for r in got]
        assert len(ids) == len(set(ids)), "a record was served twice"
        assert set(ids) == {r["id"] for r in records if oracle(r["updated_at"])}, op
        stamps = [r["updated_at"] for r in got]
        assert stamps == sorted(stamps)
    # the documented trap: `>` skips the rest of x's own local day
    same_day_later = [r for r in records if day(r["updated_at"]) == day(x) and r["updated_at"] > x]
    gt = {
        r["id"]
        for r in search_all(
            emu, "contacts", {"query": {"field": "updated_at", "operator": ">", "value": x}}
        )
    }
    assert not any(r["id"] in gt for r in same_day_later)


@pytest.mark.parametrize("entity", ["conversations", "tickets"])
def test_conversation_and_ticket_search_compare_seconds(emulator, entity):
    records = world_records(emulator, entity)
    x = median_updated_at(records)
    for op, oracle in (
        (">", lambda t: t > x),
        ("<", lambda t: t < x),
        ("=", lambda t: t == x),
    ):
        query = {"field": "updated_at", "operator": op, "value": str(x)}
        got = search_all(emulator, entity, {"query": query, **ascending()})
        assert {r["id"] for r in got} == {r["id"] for r in records if oracle(r["updated_at"])}, op


def test_next_cursor_points_after_the_last_served_record(emulator):
    body = {"query": {"field": "role", "operator": "IN", "value": ["user", "lead"]}, **ascending()}
    body["pagination"] = {"per_page": 3}
    response = httpx.post(
        f"{emulator.base_url}/contacts/search", json=body, headers=emulator.headers()
    )
    payload = response.json()
    last = payload["data"][-1]
    sort_value, last_id, page = decode_cursor(payload["pages"]["next"]["starting_after"])
    assert (sort_value, last_id, page) == (last["updated_at"], last["id"], 2)


@pytest.mark.parametrize(
    "body,code",
    [
        ({}, "parameter_not_found"),
        (
            {
                "query": {
                    "operator": "AND",
                    "value": [
                        {
                            "operator": "OR",
                            "value": [
                                {
                                    "operator": "AND",
                                    "value": [{"field": "role", "operator": "=", "value": "user"}],
                                }
                            ],
                        }
                    ],
                }
            },
            "parameter_invalid",
        ),
        (
            {
                "query": {
                    "operator": "OR",
                    "value": [{"field": "role", "operator": "=", "value": "user"}] * 16,
                }
            },
            "parameter_invalid",
        ),
        ({"query": {"field": "updated_at", "operator": ">=", "value": 1}}, "parameter_invalid"),
        ({"query": {"field": "updated_at", "operator": ">", "value": "foobar"}}, "type_mismatch"),
        (
            {
                "query": {"field": "role", "operator": "=", "value": "user"},
                "sort": {"field": "updated_at", "order": "asc"},
            },
            "invalid_sort_order",
        ),
        (
            {
                "query": {"field": "role", "operator": "=", "value": "user"},
                "pagination": {"per_page": 151},
            },
            "parameter_invalid",
        ),
        (
            {
                "query": {"field": "role", "operator": "=", "value": "user"},
                "pagination": {"starting_after": "bm9wZQ=="},
            },
            "parameter_invalid",
        ),
    ],
)
def test_refusals_over_http(emulator, body, code):
    response = httpx.post(
        f"{emulator.base_url}/contacts/search", json=body, headers=emulator.headers()
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "error.list"
    assert payload["errors"][0]["code"] == code


@pytest.mark.parametrize("entity", ["contacts", "conversations", "tickets"])
def test_updated_at_range_totals_count_the_served_records(emulator_factory, entity):
    """Queries that are exactly an `updated_at` range are counted from the store's index (no
    predicate run): the total must still be the served records, merged contacts excluded, also
    after the world changed. `json` storage: served records are spliced from stored text."""
    emu = emulator_factory(WorldConfig(seed=11, scale="tiny", storage="json"))
    for _ in range(2):
        records = world_records(emu, entity)
        middle = median_updated_at(records)
        since = {"field": "updated_at", "operator": ">", "value": middle - 86_400}
        until = {"field": "updated_at", "operator": "<", "value": middle + 86_400}
        for query in (since, {"operator": "AND", "value": [since, until]}):
            body = {"query": query, **ascending(), "pagination": {"per_page": 7}}
            with httpx.Client(base_url=emu.base_url, headers=emu.headers(), timeout=30) as http:
                first = http.post(f"/{entity}/search", json=body).json()
            served = search_all(emu, entity, {"query": query, **ascending()})
            assert first["total_count"] == len(served) == len({r["id"] for r in served})
            # the same records as the predicate selects (merged contacts excluded)
            predicate = compile_search(
                {"query": query}, entity=entity, timezone=emu.world.timezone
            ).matches
            assert {r["id"] for r in served} == {r["id"] for r in records if predicate(r)}
            assert served == [
                r for r in sorted(served, key=lambda r: (r["updated_at"], r["id"]))
            ]  # ascending by (updated_at, id)
        emu.advance(86_400)


def test_segment_searches_follow_membership_that_moves_without_a_stamp(emulator):
    """Each segment's search returns the world's members, before and after `advance` flips
    memberships without changing any contact's `updated_at` (the searches share one memo of
    contact memberships: it must follow the record's version, not its stamp)."""

    def members(segment_id: str) -> set[str]:
        body = {"query": {"field": "segment_id", "operator": "=", "value": segment_id}}
        return {record["id"] for record in search_all(emulator, "contacts", body)}

    def expected(segment_id: str) -> set[str]:
        world = emulator.world
        return {
            contact_id
            for contact_id in world.contacts.ids()
            if contact_id not in world.merged_contacts
            and segment_id in world.contact_segment_ids(contact_id)
        }

    segments = sorted(emulator.world.segments)
    before = {segment_id: members(segment_id) for segment_id in segments}
    assert before == {segment_id: expected(segment_id) for segment_id in segments}
    assert any(before.values())
    stamps = dict(emulator.world.contacts.updated_at_by_id())
    flipped = emulator.advance(30 * 86_400).get("contact_segment_changed", 0)
    assert flipped > 0
    after = {segment_id: members(segment_id) for segment_id in segments}
    assert after == {segment_id: expected(segment_id) for segment_id in segments}
    moved = [
        contact_id
        for segment_id in segments
        for contact_id in before[segment_id] ^ after[segment_id]
        if contact_id in emulator.world.contacts
        and stamps.get(contact_id) == emulator.world.contacts.updated_at(contact_id)
    ]
    assert moved, "no contact changed segment without a new updated_at: the test proves nothing"
