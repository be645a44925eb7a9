"""`updated_at_bounds` is a necessary condition: every record that matches lies inside it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.search import compile_search

BASE = 1774700000  # near the 2026 London DST change
OFFSETS = st.integers(min_value=-3 * 86400, max_value=3 * 86400)


def leaf(entity: str):
    ops = ["=", ">", "<"] if entity == "contacts" else ["=", ">", "<", "!=", "IN"]
    updated = st.builds(
        lambda op, off: {
            "field": "updated_at",
            "operator": op,
            "value": [BASE + off] if op == "IN" else BASE + off,
        },
        st.sampled_from(ops),
        OFFSETS,
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
)
def test_matches_imply_bounds(entity_query, zone, inclusive, records):
    entity, query = entity_query
    search = compile_search(
        {"query": query}, entity=entity, timezone=zone, inclusive_range=inclusive
    )
    lo, hi = search.updated_at_bounds
    for off, flag in records:
        record = {"id": "1", "updated_at": BASE + off, "open": flag, "has_hard_bounced": flag}
        if search.matches(record):
            assert lo is None or record["updated_at"] >= lo
            assert hi is None or record["updated_at"] <= hi
