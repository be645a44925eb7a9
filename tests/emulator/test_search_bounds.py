"""`updated_at_bounds` is a necessary condition: every record that matches lies inside it; and
when `bounds_exact` says so, a sufficient one too (the HTTP layer then counts and matches from
the store's index without running the predicate)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.search import compile_search

BASE = 1774700000  # near the 2026 London DST change
OFFSETS = st.integers(min_value=-3 * 86400, max_value=3 * 86400)
# a value in milliseconds is out of the calendar's range: its local "day" is infinite
QUERY_VALUES = st.one_of(OFFSETS.map(lambda off: BASE + off), st.just(BASE * 1000))


def leaf(entity: str):
    ops = ["=", ">", "<"] if entity == "contacts" else ["=", ">", "<", "!=", "IN"]
    updated = st.builds(
        lambda op, value: {
            "field": "updated_at",
            "operator": op,
            "value": [value] if op == "IN" else value,
        },
        st.sampled_from(ops),
        QUERY_VALUES,
    )
    other = st.builds(
        lambda v: {
            "field": "open" if entity != "contacts" else "has_hard_bounced",
            "operator": "=",
            "value": v,
        },
        st.booleans(),
    )
    return st.one_of(updated, updated, other)


def tree(entity: str):
    group = lambda children: st.builds(  # noqa: E731
        lambda op, items: {"operator": op, "value": items},
        st.sampled_from(["AND", "OR"]),
        st.lists(children, min_size=1, max_size=4),
    )
    base = leaf(entity)
    return st.one_of(base, group(base), group(st.one_of(base, group(base))))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["contacts", "conversations", "tickets"]).flatmap(
        lambda e: st.tuples(st.just(e), tree(e))
    ),
    st.sampled_from(["UTC", "Europe/London", "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
    st.booleans(),
    st.lists(st.tuples(OFFSETS, st.booleans()), min_size=1, max_size=30),
    st.sampled_from(["2.16", "Preview"]),
)
def test_matches_imply_bounds(entity_query, zone, inclusive, records, api_version):
    entity, query = entity_query
    search = compile_search(
        {"query": query},
        entity=entity,
        timezone=zone,
        inclusive_range=inclusive,
        api_version=api_version,
    )
    lo, hi = search.updated_at_bounds
    for off, flag in records:
        record = {"id": "1", "updated_at": BASE + off, "open": flag, "has_hard_bounced": flag}
        within = (lo is None or record["updated_at"] >= lo) and (
            hi is None or record["updated_at"] <= hi
        )
        if search.matches(record):
            assert within
        elif search.bounds_exact:
            assert not within


def _compiled(entity: str, query: dict, api_version: str = "2.16"):
    return compile_search(
        {"query": query}, entity=entity, timezone="Europe/London", api_version=api_version
    )


def test_updated_at_ranges_are_exact():
    """The incremental-sync queries are the ones the index answers alone."""
    since = {"field": "updated_at", "operator": ">", "value": BASE}
    until = {"field": "updated_at", "operator": "<", "value": BASE + 86400}
    for entity in ("contacts", "conversations", "tickets"):
        assert _compiled(entity, since).bounds_exact
        assert _compiled(entity, {"operator": "AND", "value": [since, until]}).bounds_exact
    assert _compiled("contacts", since, "Preview").bounds_exact
    equal = {"field": "updated_at", "operator": "=", "value": BASE}
    assert _compiled("conversations", equal).bounds_exact


def test_other_queries_are_not_exact():
    since = {"field": "updated_at", "operator": ">", "value": BASE}
    until = {"field": "updated_at", "operator": "<", "value": BASE - 86400}
    other = {"field": "open", "operator": "=", "value": True}
    assert not _compiled("conversations", other).bounds_exact
    assert not _compiled("conversations", {"operator": "AND", "value": [since, other]}).bounds_exact
    # an OR's hull may hold a gap between its intervals
    assert not _compiled("conversations", {"operator": "OR", "value": [since, until]}).bounds_exact
    assert not _compiled(
        "conversations", {"field": "updated_at", "operator": "IN", "value": [BASE, BASE + 9]}
    ).bounds_exact
    # out of the calendar's range: the day is infinite, the filter matches nothing
    huge = {"field": "updated_at", "operator": ">", "value": BASE * 1000}
    assert not _compiled("contacts", huge).bounds_exact
