"""AND/OR/NOT-style operators compose like boolean logic on any record."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.search import compile_search

FIELDS = {
    "state": st.sampled_from(["open", "closed", "snoozed"]),
    "priority": st.sampled_from(["none", "low", "high", "urgent"]),
    "admin_assignee_id": st.integers(min_value=0, max_value=4),
    "open": st.booleans(),
}
RECORD = st.fixed_dictionaries(
    {
        "id": st.text(alphabet="0123456789", min_size=1, max_size=4),
        "updated_at": st.integers(min_value=0, max_value=20),
        "tags": st.builds(
            lambda ids: {"type": "tag.list", "tags": [{"type": "tag", "id": i} for i in ids]},
            st.lists(st.sampled_from(["1", "2", "3"]), max_size=3, unique=True),
        ),
        **FIELDS,
    }
)
LEAF = st.one_of(
    st.builds(
        lambda v, op: {"field": "state", "operator": op, "value": v},
        FIELDS["state"],
        st.sampled_from(["=", "!=", "~", "!~", "^", "$"]),
    ),
    st.builds(
        lambda v, op: {"field": "admin_assignee_id", "operator": op, "value": v},
        FIELDS["admin_assignee_id"],
        st.sampled_from(["=", "!=", ">", "<"]),
    ),
    st.builds(
        lambda v, op: {"field": "updated_at", "operator": op, "value": v},
        st.integers(min_value=0, max_value=20),
        st.sampled_from(["=", "!=", ">", "<"]),
    ),
    st.builds(lambda v: {"field": "open", "operator": "=", "value": v}, st.booleans()),
    st.builds(
        lambda vs, op: {"field": "tag_ids", "operator": op, "value": vs},
        st.lists(st.sampled_from(["1", "2", "3", "4"]), min_size=1, max_size=3),
        st.sampled_from(["IN", "NIN"]),
    ),
)


def hit(query, record) -> bool:
    search = compile_search({"query": query}, entity="conversations", timezone="UTC")
    return search.matches(record)


@settings(max_examples=200, deadline=None)
@given(st.lists(LEAF, min_size=1, max_size=5), RECORD)
def test_and_or_are_all_and_any(leaves, record):
    singles = [hit(leaf, record) for leaf in leaves]
    assert hit({"operator": "AND", "value": leaves}, record) is all(singles)
    assert hit({"operator": "OR", "value": leaves}, record) is any(singles)


NEGATIONS = {"=": "!=", "!=": "=", "IN": "NIN", "NIN": "IN", "~": "!~", "!~": "~"}


@settings(max_examples=200, deadline=None)
@given(LEAF, RECORD)
def test_negated_operators_are_complements(leaf, record):
    negated = NEGATIONS.get(leaf["operator"])
    if negated is None:
        return
    assert hit(leaf, record) is not hit({**leaf, "operator": negated}, record)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["1", "2", "3", "4"]), min_size=1, max_size=4), RECORD)
def test_in_is_or_of_equals(values, record):
    as_in = hit({"field": "tag_ids", "operator": "IN", "value": values}, record)
    as_or = hit(
        {
            "operator": "OR",
            "value": [{"field": "tag_ids", "operator": "=", "value": v} for v in values],
        },
        record,
    )
    assert as_in is as_or
