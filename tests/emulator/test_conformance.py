"""Every endpoint's responses, for API versions 2.9, 2.15 (the newest spec of the 2.10–2.15
family) and 2.16, validate against the official OpenAPI spec of that version, relaxed only by
the deviations listed in emulator/deviations.yaml (openapi_validation)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from emulator.world.handling import handling_events, side_conversations
from tests.emulator.openapi_validation import component_errors, validation_errors
from tests.helpers.http import raw

SEARCH_ALL = {"query": {"field": "updated_at", "operator": ">", "value": 0}}


def _first(store: Any) -> str:
    return store.ids()[0]


def _contact_with_many_companies(world: Any) -> str:
    return max(world.contacts.ids(), key=lambda c: len(world.contacts.get(c)["companies"]["data"]))


def _company_with_contacts(world: Any) -> str:
    return max(world.companies.ids(), key=lambda c: len(world.company_contact_ids(c)))


def _contact_with_notes(world: Any) -> str:
    return max(world.contacts.ids(), key=lambda c: len(world.contact_notes(c)))


def _company_with_notes(world: Any) -> str:
    return max(world.companies.ids(), key=lambda c: len(world._company_notes.get(c, ())))


def _contact_with_segments(world: Any) -> str:
    return max(world.contacts.ids(), key=lambda c: len(world.contact_segment_ids(c)))


def _contact_with_consents(world: Any) -> str:
    def count(contact_id: str) -> int:
        contact = world.contacts.get(contact_id)
        return sum(
            len(contact[key]["data"])
            for key in ("opted_in_subscription_types", "opted_out_subscription_types")
        )

    return max(world.contacts.ids(), key=count)


def _company_with_segments(world: Any) -> str:
    return max(
        world.companies.ids(),
        key=lambda c: len(world.companies.get(c)["segments"]["segments"]),
    )


def _user_with_merges(world: Any) -> str:
    users = [c for c in world.contacts.ids() if world.contacts.get(c)["role"] == "user"]
    return max(users, key=lambda c: len(world.contacts.get(c).get("merge_history") or []))


def _longest_conversation(world: Any) -> str:
    return max(
        world.conversations.ids(),
        key=lambda c: len(world.conversations.get(c)["conversation_parts"]["conversation_parts"]),
    )


def _conversation_with(what: str) -> Callable[[Any], str]:
    """A request path for the first conversation that has handling events / side
    conversations (`what`: the endpoint's last segment)."""

    def path(world: Any) -> str:
        for conversation in world.conversations.values():
            if what == "handling_events" and handling_events(conversation):
                break
            if what == "side_conversations" and side_conversations(world.cfg.seed, conversation):
                break
        return f"/conversations/{conversation['id']}/{what}"

    return path


def _user_external_id(world: Any) -> str:
    return next(
        c["external_id"]
        for c in world.contacts.values(with_parts=False)
        if c["role"] == "user" and c["external_id"]
    )


def _schedule_with_exceptions(world: Any) -> str:
    exceptions = world.content["office_hours_exceptions"].values()
    return max(
        world.content["office_hours_schedules"],
        key=lambda s: sum(e["office_hours_schedule_id"] == s for e in exceptions),
    )


def _first_content(world: Any, kind: str) -> str:
    return min(world.content[kind], key=int)


def _calls(world: Any) -> list[dict]:
    return list(world.content["calls"].values())


def _nested_collection(world: Any) -> str:
    collections = world.content["help_center_collections"]
    return min((c for c in collections if collections[c]["parent_id"]), key=int)


def _busiest_newsfeed(world: Any) -> str:
    """The newsfeed with the most live items."""
    items = [i for i in world.content["news_items"].values() if i["state"] == "live"]
    return max(
        world.content["newsfeeds"],
        key=lambda f: sum(
            a["newsfeed_id"] == int(f) for i in items for a in i["newsfeed_assignments"]
        ),
    )


NEWER = ("2.15", "2.16")  # endpoints of the 2.15 spec (absent from 2.9)


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # the spec's path (any parameter names)
    concrete: Callable[[Any], str]  # world -> request path (with query string)
    items_key: str | None = None  # list envelopes: the array key (dotted path) that must be present
    body: dict | Callable[[Any], dict] | None = None  # a callable: world -> body
    versions: tuple[str, ...] = ("2.9", "2.15", "2.16")

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


CASES = [
    Case("GET", "/me", lambda w: "/me"),
    Case("GET", "/admins", lambda w: "/admins", "admins"),
    Case("GET", "/admins/{id}", lambda w: f"/admins/{next(iter(w.admins))}"),
    Case("GET", "/teams", lambda w: "/teams", "teams"),
    Case("GET", "/teams/{id}", lambda w: f"/teams/{next(iter(w.teams))}"),
    Case("GET", "/tags", lambda w: "/tags", "data"),
    Case("GET", "/tags/{id}", lambda w: f"/tags/{next(iter(w.tags))}"),
    Case("GET", "/segments", lambda w: "/segments?include_count=true", "segments"),
    Case("GET", "/segments/{id}", lambda w: f"/segments/{next(iter(w.segments))}"),
    Case("GET", "/data_attributes", lambda w: "/data_attributes?model=contact", "data"),
    Case("GET", "/data_attributes", lambda w: "/data_attributes?model=company", "data"),
    Case("GET", "/ticket_types", lambda w: "/ticket_types", "data"),
    Case("GET", "/ticket_types/{id}", lambda w: f"/ticket_types/{next(iter(w.ticket_types))}"),
    Case("GET", "/contacts", lambda w: "/contacts?per_page=20", "data"),
    Case("POST", "/contacts/search", lambda w: "/contacts/search", "data", SEARCH_ALL),
    Case("GET", "/contacts/{id}", lambda w: f"/contacts/{_contact_with_many_companies(w)}"),
    Case(
        "GET",
        "/contacts/find_by_external_id/{external_id}",
        lambda w: f"/contacts/find_by_external_id/{_user_external_id(w)}",
        versions=("2.15", "2.16"),
    ),
    Case("GET", "/contacts/{id}/tags", lambda w: f"/contacts/{_first(w.contacts)}/tags", "data"),
    Case(
        "GET",
        "/contacts/{id}/companies",
        lambda w: f"/contacts/{_contact_with_many_companies(w)}/companies?per_page=5",
        "data",
    ),
    Case(
        "GET", "/contacts/{id}/notes", lambda w: f"/contacts/{_contact_with_notes(w)}/notes", "data"
    ),
    Case(
        "GET",
        "/contacts/{id}/segments",
        lambda w: f"/contacts/{_contact_with_segments(w)}/segments",
        "data",
    ),
    Case(
        "GET",
        "/contacts/{id}/subscriptions",
        lambda w: f"/contacts/{_contact_with_consents(w)}/subscriptions",
        "data",
    ),
    Case(
        "GET",
        "/contacts/{id}/merge_history",
        lambda w: f"/contacts/{_user_with_merges(w)}/merge_history",
        "data",
        versions=("2.16",),
    ),
    Case("GET", "/companies", lambda w: "/companies?per_page=10", "data"),
    Case("POST", "/companies/list", lambda w: "/companies/list?per_page=10", "data"),
    Case("POST", "/companies/list", lambda w: "/companies/list?order=asc&page=2", "data"),
    Case("GET", "/companies/scroll", lambda w: "/companies/scroll", "data"),
    Case("GET", "/companies/{id}", lambda w: f"/companies/{_first(w.companies)}"),
    Case(
        "GET",
        "/companies/{id}/contacts",
        lambda w: f"/companies/{_company_with_contacts(w)}/contacts",
        "data",
    ),
    Case(
        "GET",
        "/companies/{id}/segments",
        lambda w: f"/companies/{_company_with_segments(w)}/segments",
        "data",
    ),
    Case(
        "GET",
        "/companies/{id}/notes",
        lambda w: f"/companies/{_company_with_notes(w)}/notes?per_page=5&page=2",
        "data",
        versions=("2.15", "2.16"),
    ),
    Case("GET", "/conversations", lambda w: "/conversations?per_page=30", "conversations"),
    Case(
        "POST",
        "/conversations/search",
        lambda w: "/conversations/search",
        "conversations",
        SEARCH_ALL,
    ),
    Case("GET", "/conversations/{id}", lambda w: f"/conversations/{_longest_conversation(w)}"),
    Case(
        "GET",
        "/conversations/{id}",
        lambda w: f"/conversations/{_longest_conversation(w)}?display_as=plaintext",
    ),
    Case(
        "GET",
        "/conversations/deleted",
        lambda w: "/conversations/deleted",
        "conversations",
        versions=("2.16",),
    ),
    Case(
        "POST",
        "/tickets/search",
        lambda w: "/tickets/search",
        "tickets",
        SEARCH_ALL,
        versions=("2.15", "2.16"),
    ),
    # opt-in per-conversation reads (issue 21), 2.16 only
    Case(
        "GET",
        "/conversations/{id}/handling_events",
        _conversation_with("handling_events"),
        "handling_events",
        versions=("2.16",),
    ),
    Case(
        "GET",
        "/conversations/{id}/side_conversations",
        _conversation_with("side_conversations"),
        "side_conversations",
        versions=("2.16",),
    ),
    Case(
        "GET",
        "/conversations/attributes",
        lambda w: "/conversations/attributes",
        "data",
        versions=("2.16",),
    ),
    Case("GET", "/tickets/{id}", lambda w: f"/tickets/{_first(w.tickets)}"),
    Case("GET", "/notes/{id}", lambda w: f"/notes/{next(iter(w.notes))}"),
    # content and settings lists (issue 21), on the versions whose spec has them
    Case("GET", "/ticket_states", lambda w: "/ticket_states", "data", versions=NEWER),
    Case("GET", "/away_status_reasons", lambda w: "/away_status_reasons", "data", versions=NEWER),
    Case("GET", "/brands", lambda w: "/brands", "data", versions=NEWER),
    Case("GET", "/internal_articles", lambda w: "/internal_articles", "data", versions=NEWER),
    Case(
        "GET",
        "/internal_articles",
        lambda w: "/internal_articles?per_page=2",
        "data",
        versions=NEWER,
    ),
    Case("GET", "/subscription_types", lambda w: "/subscription_types", "data"),
    Case(
        "GET",
        "/office_hours_schedules",
        lambda w: "/office_hours_schedules",
        "data",
        versions=("2.16",),
    ),
    Case(
        "GET",
        "/office_hours_schedules/{office_hours_schedule_id}/office_hours_exceptions",
        lambda w: f"/office_hours_schedules/{_schedule_with_exceptions(w)}/office_hours_exceptions",
        "data",
        versions=("2.16",),
    ),
    Case(
        "GET",
        "/content_snippets",
        lambda w: "/content_snippets?per_page=2&page=2",
        "data",
        versions=("2.16",),
    ),
    Case("GET", "/macros", lambda w: "/macros?per_page=3", "data", versions=("2.16",)),
    Case("GET", "/help_center/help_centers", lambda w: "/help_center/help_centers", "data"),
    Case("GET", "/help_center/collections", lambda w: "/help_center/collections", "data"),
    Case(
        "GET",
        "/help_center/sections",
        lambda w: "/help_center/sections",
        "data",
        versions=("2.9",),
    ),
    Case("GET", "/articles", lambda w: "/articles?per_page=3&page=2", "data"),
    Case(
        "GET",
        "/articles/{id}",
        lambda w: f"/articles/{_first_content(w, 'articles')}",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/articles/{article_id}",
        lambda w: f"/articles/{_first_content(w, 'articles')}",
        versions=NEWER,
    ),
    Case("GET", "/news/news_items", lambda w: "/news/news_items", "data"),
    Case("GET", "/news/newsfeeds", lambda w: "/news/newsfeeds", "data"),
    # one item of each content list, a newsfeed's items and the content searches
    Case(
        "GET",
        "/help_center/help_centers/{id}",
        lambda w: f"/help_center/help_centers/{_first_content(w, 'help_centers')}",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/help_center/help_centers/{help_center_id}",
        lambda w: f"/help_center/help_centers/{_first_content(w, 'help_centers')}",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/help_center/collections/{id}",
        lambda w: f"/help_center/collections/{_first_content(w, 'help_center_collections')}",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/help_center/collections/{collection_id}",
        lambda w: f"/help_center/collections/{_nested_collection(w)}",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/internal_articles/{internal_article_id}",
        lambda w: f"/internal_articles/{_first_content(w, 'internal_articles')}",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/news/news_items/{id}",
        lambda w: f"/news/news_items/{_first_content(w, 'news_items')}",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/news/news_items/{news_item_id}",
        lambda w: f"/news/news_items/{_first_content(w, 'news_items')}",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/news/newsfeeds/{id}",
        lambda w: f"/news/newsfeeds/{_first_content(w, 'newsfeeds')}",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/news/newsfeeds/{newsfeed_id}",
        lambda w: f"/news/newsfeeds/{_first_content(w, 'newsfeeds')}",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/news/newsfeeds/{id}/items",
        lambda w: f"/news/newsfeeds/{_busiest_newsfeed(w)}/items",
        "data",
        versions=("2.9",),
    ),
    Case(
        "GET",
        "/news/newsfeeds/{newsfeed_id}/items",
        lambda w: f"/news/newsfeeds/{_busiest_newsfeed(w)}/items?per_page=2",
        "data",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/articles/search",
        lambda w: "/articles/search?phrase=step&state=published&highlight=true",
        "data.articles",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/internal_articles/search",
        lambda w: "/internal_articles/search",
        "data.internal_articles",
        versions=NEWER,
    ),
    Case(
        "GET",
        "/macros",
        lambda w: f"/macros?updated_since={w.cfg.start_time - 40 * 86400}",
        "data",
        versions=("2.16",),
    ),
    # the admins' activity log (issue 21): a window holding more than one page
    Case(
        "GET",
        "/admins/activity_logs",
        lambda w: f"/admins/activity_logs?created_at_after={w.cfg.start_time - 30 * 86400}"
        f"&created_at_before={w.now}&per_page=5",
        "activity_logs",
    ),
    Case(
        "GET",
        "/admins/activity_log_event_types",
        lambda w: "/admins/activity_log_event_types",
        "event_types",
        versions=("2.16",),
    ),
    Case("GET", "/calls", lambda w: "/calls?per_page=2", "data", versions=NEWER),
    Case(
        "GET", "/calls/{call_id}", lambda w: f"/calls/{_first_content(w, 'calls')}", versions=NEWER
    ),
    Case(
        "POST",
        "/calls/search",
        lambda w: "/calls/search",
        "data",
        lambda w: {"conversation_ids": sorted({c["conversation_id"] for c in _calls(w)})[:20]},
        versions=NEWER,
    ),
]

PARAMS = [
    pytest.param(case, version, id=f"{version} {case.id} {i}")
    for i, case in enumerate(CASES)
    for version in case.versions
]


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    # Advance a day so that merges, deletions and new parts exist as after real activity.
    with running_emulator(WorldConfig(seed=5, scale="tiny")) as running:
        running.advance(86_400)
        yield running


@pytest.mark.parametrize(("case", "version"), PARAMS)
def test_response_conforms_to_official_spec(emu: RunningEmulator, case: Case, version: str):
    headers = emu.headers(version)
    path = case.concrete(emu.world)
    if case.template == "/companies/scroll":
        # one open scroll per workspace: let a previous case's scroll expire first
        emu.control.scrolls.expire_all()
    response = raw().request(
        case.method,
        emu.url(path),
        headers=headers,
        json=case.body(emu.world) if callable(case.body) else case.body,
        timeout=30,
    )
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    if case.items_key is not None:
        items = body
        for key in case.items_key.split("."):
            items = items[key]
        assert isinstance(items, list)
        assert items or case.template.endswith(
            ("merge_history", "deleted")
        ), f"{path} served an empty list: the conformance check would prove nothing"
    errors = validation_errors(version, case.method, case.template, body)
    assert errors == [], "\n".join(errors[:20])


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tickets/search", SEARCH_ALL),
        ("GET", "/conversations/deleted", None),
        ("GET", "/conversations/{id}/handling_events", None),
        ("GET", "/conversations/{id}/side_conversations", None),
        ("GET", "/contacts/{id}/merge_history", None),
        ("GET", "/ticket_states", None),
        ("GET", "/contacts/find_by_external_id/{id}", None),
    ],
)
def test_endpoints_absent_from_29_answer_version_invalid(
    emu: RunningEmulator, method: str, path: str, body: Any
):
    path = path.replace("{id}", _first(emu.world.contacts))
    response = raw().request(method, emu.url(path), headers=emu.headers("2.9"), json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "intercom_version_invalid"
    assert component_errors("2.9", "error", response.json()) == []


@pytest.mark.parametrize("version", ["2.9", "2.16"])
def test_error_bodies_conform_to_the_error_schema(emu: RunningEmulator, version: str):
    http_ok = emu.headers(version)
    merged = next(iter(emu.world.merged_contacts))
    responses = [
        raw().get(emu.url("/me")),  # 401
        raw().get(emu.url("/contacts/000000000000000000000000"), headers=http_ok),  # 404
        raw().get(emu.url(f"/contacts/{merged}"), headers=http_ok),  # 404 / 410
        raw().get(emu.url("/contacts"), params={"per_page": 500}, headers=http_ok),  # 400
        raw().post(emu.url("/contacts/search"), json={"query": {}}, headers=http_ok),  # 400
    ]
    for response in responses:
        assert response.status_code >= 400
        assert component_errors(version, "error", response.json()) == []


@pytest.mark.parametrize("version", NEWER)
@pytest.mark.parametrize("count", [0, 21])
def test_calls_search_takes_1_to_20_conversation_ids(emu: RunningEmulator, version: str, count):
    ids = [str(215_000_000_000 + i) for i in range(count)]
    response = raw().post(
        emu.url("/calls/search"), json={"conversation_ids": ids}, headers=emu.headers(version)
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "conversation_id_limit_exceeded"
    assert component_errors(version, "error", response.json()) == []


def test_calls_search_lists_the_transcripts_of_answered_calls(emu: RunningEmulator):
    calls = _calls(emu.world)
    ids = sorted({c["conversation_id"] for c in calls})
    found = []
    for start in range(0, len(ids), 20):
        body = {"conversation_ids": ids[start : start + 20]}
        response = raw().post(emu.url("/calls/search"), json=body, headers=emu.headers("2.16"))
        found += response.json()["data"]
    assert {c["id"] for c in found} == {c["id"] for c in calls}
    transcribed = [c for c in found if c["transcript_status"] == "completed"]
    assert transcribed and all(c["transcript"] and c["answered_at"] for c in transcribed)
    assert all(c["transcript"] == [] for c in found if c["transcript_status"] is None)
