"""Content and settings lists (issue 21): loaded equal to the world on the versions that have
each endpoint, nested rows carrying their parent's id, macros read incrementally."""

from __future__ import annotations

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from bench.minimum import _world_counts, content_requests
from sources.intercom.client import IntercomClient
from sources.intercom.content import BY_NAME
from sources.intercom.settings import CONTENT_RESOURCES
from tests.helpers.truth import mismatches, pairs, truth

# table -> its truth entity's nested tables compared too
NESTED = {"office_hours_schedules": ("office_hours_schedules__office_hours_exceptions",)}
# truth key -> warehouse column, where they differ
COLUMNS = {"views": "statistics__views"}


def _available(api_version: str) -> list[str]:
    return [n for n in CONTENT_RESOURCES if BY_NAME[n].available_in(api_version)]


EVERYWHERE = [
    "subscription_types",
    "help_centers",
    "help_center_collections",
    "articles",
    "news_items",
    "newsfeeds",
]
FROM_2_10 = ["away_status_reasons", "brands", "internal_articles", "calls"]
# tables keyed by another column than `id`
KEYS = {"activity_log_event_types": "event_type"}


def _as_served(table: str, rows: list[dict], api_version: str) -> list[dict]:
    """Truth rows as a version serves them (2.9 lists nested collections as sections only),
    keyed by warehouse column."""
    if table == "help_center_collections" and api_version == "2.9":
        rows = [r for r in rows if r["parent_id"] is None]
    return [{COLUMNS.get(k, k): v for k, v in row.items()} for row in rows]


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        ("2.9", [*EVERYWHERE, "help_center_sections"]),
        ("2.11", [*FROM_2_10, *EVERYWHERE]),
        ("2.16", [n for n in CONTENT_RESOURCES if n != "help_center_sections"]),
    ],
)
def test_content_equals_the_world_before_and_after_activity(
    emulator, sync, rows, api_version, expected
):
    assert sorted(_available(api_version)) == sorted(expected)
    emu = emulator(api_version=api_version)
    for _ in range(2):
        sync(emu, resources=expected)
        for table in CONTENT_RESOURCES:
            if table not in expected:
                assert rows(table) == [], f"{table} loaded on {api_version}"
                continue
            for name in (table, *NESTED.get(table, ())):
                want = _as_served(name, truth(emu, name), api_version)
                assert want, name
                assert mismatches(rows(name), want, KEYS.get(name, "id")) == [], name
        emu.advance(3 * 86400)


def test_nested_rows_carry_their_parents_id(emulator, sync, rows):
    emu = emulator()
    sync(emu, resources=_available("2.16"))
    world = emu.world
    used = {
        (state_id, t["id"])
        for state_id, state in world.ticket_states.items()
        for t in state["ticket_types"]["data"]
    }
    assert used
    assert pairs(rows("ticket_states__ticket_types"), "ticket_state_id", "ticket_type_id") == used
    schedules = world.content["office_hours_schedules"]
    intervals = rows("office_hours_schedules__time_intervals")
    assert len(intervals) == sum(len(s["time_intervals"]) for s in schedules.values())
    assert {r["office_hours_schedule_id"] for r in intervals} == set(schedules)
    custom = [e for e in world.content["office_hours_exceptions"].values() if e["time_intervals"]]
    got = pairs(
        rows("office_hours_schedules__office_hours_exceptions__time_intervals"),
        "office_hours_schedule_id",
        "office_hours_exception_id",
    )
    assert got == {(e["office_hours_schedule_id"], e["id"]) for e in custom}
    macros = world.content["macros"]
    assert pairs(rows("macros__available_on"), "macro_id", "value") == {
        (m["id"], where) for m in macros.values() for where in m["available_on"]
    }
    assert pairs(rows("macros__visible_to_team_ids"), "macro_id", "team_id") == {
        (m["id"], t) for m in macros.values() for t in m["visible_to_team_ids"]
    }
    articles = world.content["articles"].values()
    locales = pairs(rows("articles__translated_content"), "article_id", "locale")
    assert locales == {
        (a["id"], locale)
        for a in articles
        for locale in a["translated_content"]
        if locale != "type"
    }
    assert pairs(rows("articles__tags"), "article_id", "tag_id") == {
        (a["id"], t["id"]) for a in articles for t in a["tags"]["tags"]
    }
    assert pairs(rows("articles__parent_ids"), "article_id", "parent_id") == {
        (a["id"], str(p)) for a in articles for p in a["parent_ids"]
    }
    assert pairs(rows("news_items__newsfeed_assignments"), "news_item_id", "newsfeed_id") == pairs(
        truth(emu, "news_items__newsfeed_assignments"), "news_item_id", "newsfeed_id"
    )
    kinds = pairs(rows("subscription_types__content_types"), "subscription_type_id", "value")
    assert kinds == {
        (s["id"], kind)
        for s in world.content["subscription_types"].values()
        for kind in s["content_types"]
    }


def test_a_deleted_macro_leaves_the_table(emulator, sync, rows):
    """Macros are read whole each run: `updated_since` would never report a deleted one, which
    would then look live for ever."""
    emu = emulator()
    sync(emu, resources=["macros"])
    with emu.control.lock:
        deleted = min(emu.world.content["macros"], key=int)
        emu.world.content["macros"].pop(deleted)
    emu.advance(86400)  # and the others change
    sync(emu, resources=["macros"])
    loaded = {str(r["id"]) for r in rows("macros")}
    assert deleted not in loaded
    assert loaded == {str(r["id"]) for r in truth(emu, "macros")}
    assert deleted not in {str(r["macro_id"]) for r in rows("macros__available_on")}


def test_a_resource_the_version_lacks_fails_clearly_when_asked_for(emulator, sync):
    emu = emulator(api_version="2.9")
    with pytest.raises(PipelineStepFailed, match="API 2.9 has no macros endpoint"):
        sync(emu, resources=["macros"])


def test_snippet_pages_follow_the_top_level_page_fields(emulator):
    emu = emulator()
    with IntercomClient(emu.token, base_url=emu.base_url) as client:
        pages = list(client.iter_numbered_pages("/content_snippets", items_key="data", per_page=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert {i["id"] for p in pages for i in p} == set(emu.world.content["content_snippets"])


def test_the_bench_minimum_counts_what_the_content_sync_requests(emulator, sync):
    """`make bench`'s minimum (bench.minimum) includes the content lists: on a tiny world
    their sync makes exactly that many requests, first run and no-change run."""
    emu = emulator()
    counts = _world_counts(emu.base_url)
    assert counts["macros"] and counts["office_hours_schedules"]
    for _run in ("first", "no change"):
        emu.control.stats.reset()
        sync(emu, resources=_available("2.16"))
        served = emu.control.stats.snapshot()["total"]
        assert served == content_requests(counts)
