"""The emulator serves what real workspaces send (issue 17, emulator/deviations.yaml), per
version family: 2.9, 2.10–2.15 (2.11 captures) and 2.16 — over HTTP, on a generated world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from tests.helpers.http import raw

SEARCH_ALL = {
    "query": {"field": "updated_at", "operator": ">", "value": 0},
    "pagination": {"per_page": 150},
}


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with running_emulator(WorldConfig(seed=5, scale="tiny")) as running:
        running.advance(86_400)
        yield running


def _get(emu: RunningEmulator, path: str, version: str) -> Any:
    response = raw().get(emu.url(path), headers=emu.headers(version), timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def _search(emu: RunningEmulator, entity: str, version: str) -> list[dict]:
    response = raw().post(
        emu.url(f"/{entity}/search"), headers=emu.headers(version), json=SEARCH_ALL, timeout=30
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()["conversations" if entity == "conversations" else "tickets"]


def _details(emu: RunningEmulator, entity: str, version: str) -> list[dict]:
    return [_get(emu, f"/{entity}/{item['id']}", version) for item in _search(emu, entity, version)]


@pytest.mark.parametrize("version", ["2.9", "2.11", "2.16"])
def test_conversations_have_real_shapes(emu: RunningEmulator, version: str) -> None:
    conversations = _details(emu, "conversations", version)
    assert conversations
    teammates = [c["teammates"] for c in conversations if c.get("teammates")]
    assert all("admins" in t and "teammates" not in t for t in teammates)
    assert any(t["admins"] for t in teammates)
    sources = [c["source"] for c in conversations]
    assert None in sources, "admin-started conversations without a source"
    assert any(s and s["type"] == "unknown" and s["subject"] is None for s in sources)
    values = [v for c in conversations for v in c["custom_attributes"].values()]
    assert any(v is True or v is False for v in values), "boolean custom attributes"
    parts = [p for c in conversations for p in c["conversation_parts"]["conversation_parts"]]
    assignments = [p for p in parts if p["part_type"] == "assignment"]
    assert assignments and all(p["assigned_to"]["type"] for p in assignments)
    for c in conversations:
        assert "monitor_evaluations" not in c and "scorecards" not in c
    newer = version != "2.9"
    for key in ("ai_agent", "ai_agent_participated", "linked_objects", "topics", "ticket"):
        assert all((key in c) == newer for c in conversations), key
    if newer:
        topics = [c["topics"] for c in conversations]
        assert all(
            t["type"] == "topic.list" and t["total_count"] == len(t["topics"]) for t in topics
        )
        assert any(t["topics"] for t in topics)
        tickets = [c["ticket"] for c in conversations]
        assert None in tickets and any(t and t["type"] == "ticket" for t in tickets)
    if version == "2.16":
        part = parts[0]
        assert (part["event_details"], part["metadata"], part["tags"]) == ({}, {}, [])
        assert "translations" in part and part["translations"] is None
    else:
        assert all("translations" not in p for p in parts)


@pytest.mark.parametrize("version", ["2.9", "2.11", "2.16"])
def test_contacts_have_real_shapes(emu: RunningEmulator, version: str) -> None:
    contacts = _get(emu, "/contacts?per_page=150", version)["data"]
    for contact in contacts:
        assert isinstance(contact["sms_consent"], bool)
        assert isinstance(contact["unsubscribed_from_sms"], bool)
        assert {"country_code", "continent_code"} <= set(contact["location"])
        assert ("email_domain" in contact) == (version == "2.16")
        assert ("enabled_push_messaging" in contact) == (version == "2.16")
    assert any(c["location"]["country_code"] == "IE" for c in contacts)


@pytest.mark.parametrize("version", ["2.11", "2.16"])
def test_tickets_have_real_shapes(emu: RunningEmulator, version: str) -> None:
    tickets = _details(emu, "tickets", version)
    assert tickets
    for ticket in tickets:
        attributes = ticket["ticket_type"]["ticket_type_attributes"]
        assert set(attributes) == {"type", "data"} and attributes["data"][0]["data_type"]
        assert isinstance(ticket["ticket_type"]["is_internal"], bool)
        assert ticket["ticket_attributes"]["Attachments"] == []
        assert set(ticket["linked_objects"]) == {"type", "data", "total_count", "has_more"}
        assert ("channel" in ticket) == (version == "2.16")
        for part in ticket["ticket_parts"]["ticket_parts"]:
            assert ("assigned_to" in part) == (part["part_type"] == "assignment")
            assert part.get("assigned_to", {}).get("id") or "assigned_to" not in part
            if "previous_ticket_state" not in part:
                assert part["part_type"] != "ticket_state_updated_by_admin"
    parts = [p for t in tickets for p in t["ticket_parts"]["ticket_parts"]]
    assert any("previous_ticket_state" not in p for p in parts)


@pytest.mark.parametrize("version", ["2.9", "2.16"])
def test_companies_leave_unset_keys_out(emu: RunningEmulator, version: str) -> None:
    companies = _get(emu, "/companies?per_page=150", version)["data"]
    for key in ("size", "website", "industry", "remote_created_at"):
        assert any(key not in c for c in companies), key
        assert all(c[key] is not None for c in companies if key in c), key
    notes = [c.get("notes") for c in companies]
    if version == "2.16":
        assert all(set(n) == {"type", "data", "url", "total_count", "has_more"} for n in notes)
    else:
        assert notes == [None] * len(companies)


@pytest.mark.parametrize("version", ["2.9", "2.11", "2.16"])
def test_lookups_have_real_shapes(emu: RunningEmulator, version: str) -> None:
    admins = _get(emu, "/admins", version)["admins"]
    assert any("avatar" not in a for a in admins) and any("avatar" in a for a in admins)
    assert all(set(a["avatar"]) == {"image_url"} for a in admins if "avatar" in a)
    assert all(a.get("job_title", "x") for a in admins)  # absent, never empty
    levels = [a["team_priority_level"] for a in admins]
    assert {} in levels and any(level.get("primary_team_ids") for level in levels)
    teams = _get(emu, "/teams", version)["teams"]
    assert all(("distribution_method" in t) == (version != "2.9") for t in teams)
    tags = _get(emu, "/tags", version)["data"]
    assert tags and all(set(t) == {"type", "id", "name"} for t in tags)
    assert all("count" not in s for s in _get(emu, "/segments", version)["segments"])
    counted = _get(emu, "/segments?include_count=true", version)["segments"]
    assert all(isinstance(s["count"], int) for s in counted)


def test_conversation_attributes_list_data_types_on_216_only(emu: RunningEmulator) -> None:
    body = _get(emu, "/conversations/attributes", "2.16")
    types = {a["name"]: a["data_type"] for a in body["data"]}
    assert types["Copilot used"] == "boolean" and types["Refund amount"] == "decimal"
    response = raw().get(emu.url("/conversations/attributes"), headers=emu.headers("2.15"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "intercom_version_invalid"
