"""Search DSL semantics: validation (Intercom's 400s), field access, operators, sorting."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.cursors import encode_cursor
from emulator.search import SearchError, compile_search


def f(field: str, operator: str, value: Any) -> dict:
    return {"field": field, "operator": operator, "value": value}


def compile_(query: Any, entity: str = "contacts", **kw: Any):
    body = kw.pop("body", {})
    return compile_search({"query": query, **body}, entity=entity, timezone="UTC", **kw)


def refused(query: Any, entity: str = "contacts", **kw: Any) -> SearchError:
    with pytest.raises(SearchError) as info:
        compile_(query, entity, **kw)
    assert info.value.status == 400
    return info.value


CONTACT = {
    "type": "contact",
    "id": "65a1b2c3d4e5f60718293a4b",
    "role": "user",
    "email": "Ada.Lovelace@Example.com",
    "name": "Ada Lovelace",
    "owner_id": "991",
    "created_at": 1700000000,
    "updated_at": 1700003600,
    "last_seen_at": None,
    "has_hard_bounced": False,
    "location": {"type": "location", "country": "United Kingdom", "city": "London"},
    "custom_attributes": {"plan": "Pro", "seats": 12, "renewal_at": 1700000000},
    "tags": {"type": "list", "data": [{"type": "tag", "id": "7"}, {"type": "tag", "id": "9"}]},
    "avatar": {"type": "avatar", "image_url": "https://x/a.png"},
    "_segment_ids": ["31"],
}

CONVERSATION = {
    "type": "conversation",
    "id": "1001",
    "created_at": 1700000000,
    "updated_at": 1700000500,
    "open": True,
    "state": "open",
    "read": False,
    "priority": "high",
    "admin_assignee_id": 42,
    "team_assignee_id": 0,
    "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "5"}]},
    "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c1"}]},
    "teammates": None,
    "source": {
        "type": "conversation",
        "id": "77",
        "body": "<p>I need <b>support</b>, please</p>",
        "author": {"type": "user", "id": "c1", "email": "Bob@Example.com"},
    },
    "statistics": {"time_to_admin_reply": 300, "last_close_at": None},
    "conversation_rating": None,
    "custom_attributes": {"Region": "EMEA"},
}

TICKET = {
    "type": "ticket",
    "id": "633",
    "ticket_id": "40",
    "category": "Back-office",
    "ticket_attributes": {"_default_title_": "Printer on fire", "severity": 3},
    "ticket_state": {"type": "ticket_state", "id": "8577", "category": "in_progress"},
    "ticket_type": {
        "type": "ticket_type",
        "id": "100",
        "ticket_type_attributes": {
            "type": "list",
            "data": [
                {"type": "ticket_type_attribute", "id": "220", "name": "_default_title_"},
                {"type": "ticket_type_attribute", "id": "223", "name": "severity"},
            ],
        },
    },
    "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c9"}]},
    "admin_assignee_id": 42,
    "team_assignee_id": 0,
    "created_at": 1700000000,
    "updated_at": 1700000100,
    "open": True,
}


# ------------------------------------------------------------------ body-level rules


@pytest.mark.parametrize(
    "body,code",
    [
        ({}, "parameter_not_found"),
        ({"query": None}, "parameter_not_found"),
        ([], "bad_request"),
        ("query", "bad_request"),
    ],
)
def test_missing_query_or_non_object_body(body, code):
    with pytest.raises(SearchError) as info:
        compile_search(body, entity="contacts", timezone="UTC")
    assert (info.value.status, info.value.code) == (400, code)


@pytest.mark.parametrize(
    "entity,default", [("contacts", 50), ("conversations", 20), ("tickets", 20)]
)
def test_default_per_page(entity, default):
    assert compile_(f("id", "=", "1"), entity).per_page == default


@pytest.mark.parametrize("per_page", [1, 150])
def test_per_page_limits_accepted(per_page):
    search = compile_(f("id", "=", "1"), body={"pagination": {"per_page": per_page}})
    assert search.per_page == per_page


@pytest.mark.parametrize("per_page", [0, -1, 151, 1000, "50", 1.5, True])
def test_per_page_out_of_range_or_wrong_type(per_page):
    err = refused(f("id", "=", "1"), body={"pagination": {"per_page": per_page}})
    assert err.code in ("parameter_invalid", "type_mismatch")


def test_starting_after_comes_from_body_pagination_and_is_decoded():
    cursor = encode_cursor(1700000000, "abc", 3)
    search = compile_(f("id", "=", "1"), body={"pagination": {"starting_after": cursor, "page": 9}})
    assert search.starting_after == cursor
    assert search.cursor == (1700000000, "abc", 3)
    assert compile_(f("id", "=", "1")).cursor is None


@pytest.mark.parametrize("cursor", ["garbage", 12, "WzAsIjVl"])
def test_bad_starting_after(cursor):
    err = refused(f("id", "=", "1"), body={"pagination": {"starting_after": cursor}})
    assert err.code == "parameter_invalid"


# ------------------------------------------------------------------ sort


def test_sort_default_order_is_descending_and_absent_sort_has_no_key():
    search = compile_(f("id", "=", "1"), body={"sort": {"field": "updated_at"}})
    assert search.sort_field == "updated_at" and search.descending
    assert compile_(f("id", "=", "1")).sort_key is None


@pytest.mark.parametrize("order", ["desc", "asc", "ASCENDING", "", None, 1])
def test_invalid_sort_order(order):
    err = refused(f("id", "=", "1"), body={"sort": {"field": "updated_at", "order": order}})
    assert err.code == "invalid_sort_order"
    assert "Must be one of: ascending, descending" in err.message


@pytest.mark.parametrize("field", ["nope", "tag_id", None])
def test_unsortable_sort_field(field):
    err = refused(f("id", "=", "1"), body={"sort": {"field": field, "order": "ascending"}})
    assert err.code == "parameter_invalid"


def test_sort_key_orders_by_value_then_id_with_nulls_first():
    records = [
        {"id": "b", "updated_at": 5},
        {"id": "a", "updated_at": 5},
        {"id": "c", "updated_at": None},
        {"id": "d", "updated_at": 1},
    ]
    asc = compile_(f("id", "=", "1"), body={"sort": {"field": "updated_at", "order": "ascending"}})
    assert [r["id"] for r in sorted(records, key=asc.sort_key)] == ["c", "d", "a", "b"]
    assert asc.sort_value(records[0]) == 5
    desc = compile_(f("id", "=", "1"), body={"sort": {"field": "updated_at"}})
    ordered = sorted(records, key=desc.sort_key, reverse=desc.descending)
    assert [r["id"] for r in ordered] == ["b", "a", "d", "c"]


# ------------------------------------------------------------------ structure limits


def test_two_levels_of_nesting_allowed_three_refused():
    leaf = f("role", "=", "user")
    two = {"operator": "AND", "value": [{"operator": "OR", "value": [leaf, leaf]}, leaf]}
    assert compile_(two).matches(CONTACT)
    three = {"operator": "AND", "value": [{"operator": "OR", "value": [two]}]}
    assert refused(three).code == "parameter_invalid"
    three_deep = {
        "operator": "OR",
        "value": [{"operator": "AND", "value": [{"operator": "OR", "value": [leaf]}]}],
    }
    refused(three_deep)


def test_fifteen_filters_per_group_allowed_sixteen_refused():
    leaf = f("role", "=", "user")
    assert compile_({"operator": "AND", "value": [leaf] * 15}).matches(CONTACT)
    assert refused({"operator": "OR", "value": [leaf] * 16}).code == "parameter_invalid"
    inner = {"operator": "OR", "value": [leaf] * 16}
    refused({"operator": "AND", "value": [inner]})


@pytest.mark.parametrize(
    "query",
    [
        {"operator": "AND", "value": []},
        {"operator": "AND", "value": "x"},
        {"operator": "and", "value": [f("role", "=", "user")]},
        {"operator": "XOR", "value": [f("role", "=", "user")]},
        {"field": "role", "operator": "==", "value": "user"},
        {"field": "role", "operator": "="},
        {"field": "", "operator": "=", "value": "x"},
        {"operator": "AND", "value": ["role"]},
        "role = user",
    ],
)
def test_malformed_queries(query):
    assert refused(query).code == "parameter_invalid"


@pytest.mark.parametrize(
    "entity,field",
    [
        ("contacts", "nope"),
        ("contacts", "company_id"),
        ("contacts", "custom_attributes."),
        ("conversations", "tag_id"),
        ("tickets", "priority"),
    ],
)
def test_unknown_fields_are_refused(entity, field):
    assert refused(f(field, "=", "x"), entity).code == "parameter_invalid"


# ------------------------------------------------------------------ operators per type


@pytest.mark.parametrize("op", ["!=", "IN", "NIN", ">=", "<=", "~", "!~", "^", "$"])
def test_contact_date_fields_accept_only_eq_lt_gt(op):
    value = [1700000000] if op in ("IN", "NIN") else 1700000000
    for field in ("updated_at", "created_at", "last_seen_at", "android_last_seen_at"):
        assert refused(f(field, op, value)).code == "parameter_invalid"


def test_contact_date_custom_attribute_is_a_date_field():
    types = {"renewal_at": "date", "plan": "string"}
    refused(f("custom_attributes.renewal_at", "!=", 1), custom_attribute_types=types)
    search = compile_(
        f("custom_attributes.renewal_at", "=", 1699999999 - 3600), custom_attribute_types=types
    )
    assert search.matches(CONTACT)  # same UTC day
    assert refused(f("custom_attributes.other", "=", "x"), custom_attribute_types=types)


@pytest.mark.parametrize("op", ["IN", "NIN", "~", ">"])
def test_tag_id_accepts_only_eq_and_neq(op):
    value = ["7"] if op in ("IN", "NIN") else "7"
    assert refused(f("tag_id", op, value)).code == "parameter_invalid"


@pytest.mark.parametrize(
    "entity,field,op,value",
    [
        ("contacts", "email", ">", "a"),
        ("contacts", "has_hard_bounced", "~", "t"),
        ("contacts", "has_hard_bounced", ">", 1),
        ("conversations", "state", "<", "open"),
        ("conversations", "updated_at", ">=", 1),
        ("conversations", "updated_at", "~", "1"),
        ("conversations", "statistics.time_to_admin_reply", "<=", 1),
        ("tickets", "updated_at", ">=", 1),
        ("tickets", "open", "^", "t"),
    ],
)
def test_operator_not_valid_for_field_type(entity, field, op, value):
    assert refused(f(field, op, value), entity).code == "parameter_invalid"


@pytest.mark.parametrize(
    "entity,field,op,value",
    [
        ("contacts", "updated_at", ">", "foobar"),
        ("contacts", "updated_at", ">", True),
        ("contacts", "updated_at", "=", 1.5),
        ("contacts", "updated_at", ">", None),
        ("contacts", "email", "=", 5),
        ("contacts", "email", "=", ["a"]),
        ("contacts", "email", "IN", "a"),
        ("contacts", "email", "IN", []),
        ("contacts", "has_hard_bounced", "=", "false"),
        ("conversations", "admin_assignee_id", "=", "abc"),
        ("conversations", "open", "=", 1),
        ("tickets", "created_at", ">=", "yesterday"),
    ],
)
def test_type_mismatch(entity, field, op, value):
    assert refused(f(field, op, value), entity).code == "type_mismatch"


def test_timestamps_may_be_strings_of_digits():
    assert compile_(f("updated_at", "<", "1800000000")).matches(CONTACT)
    conv = compile_(f("updated_at", "=", "1700000500"), "conversations")
    assert conv.matches(CONVERSATION)


def test_ticket_created_at_allows_or_equal_operators():
    assert compile_(f("created_at", ">=", 1700000000), "tickets").matches(TICKET)
    assert compile_(f("created_at", "<=", 1700000000), "tickets").matches(TICKET)
    assert not compile_(f("created_at", ">=", 1700000001), "tickets").matches(TICKET)


def test_conversation_dates_take_equality_family():
    assert compile_(f("updated_at", "!=", 1700000000), "conversations").matches(CONVERSATION)
    assert compile_(f("updated_at", "IN", [1, 1700000500]), "conversations").matches(CONVERSATION)
    assert not compile_(f("updated_at", "NIN", [1700000500]), "conversations").matches(CONVERSATION)


# ------------------------------------------------------------------ matching: contacts


@pytest.mark.parametrize(
    "query,expected",
    [
        (f("email", "=", "ada.lovelace@example.com"), True),
        (f("email", "!=", "ADA.LOVELACE@EXAMPLE.COM"), False),
        (f("email", "~", "LOVELACE"), True),
        (f("email", "!~", "lovelace"), False),
        (f("email", "^", "ada."), True),
        (f("email", "$", "@example.com"), True),
        (f("email", "$", "@example.org"), False),
        (f("email_domain", "=", "example.com"), True),
        (f("name", "IN", ["Grace Hopper", "ada lovelace"]), True),
        (f("name", "NIN", ["ada lovelace"]), False),
        (f("role", "=", "lead"), False),
        (f("id", "=", "65a1b2c3d4e5f60718293a4b"), True),
        (f("owner_id", "=", 991), True),
        (f("location.country", "=", "united kingdom"), True),
        (f("location.region", "=", None), True),
        (f("location.city", "!=", None), True),
        (f("has_hard_bounced", "=", False), True),
        (f("has_hard_bounced", "IN", [True]), False),
        (f("avatar", "~", "a.png"), True),
        (f("tag_id", "=", "9"), True),
        (f("tag_id", "=", "8"), False),
        (f("tag_id", "!=", "7"), False),
        (f("tag_id", "!=", "8"), True),
        (f("segment_id", "=", "31"), True),
        (f("segment_id", "IN", ["1", "2"]), False),
        (f("custom_attributes.plan", "=", "pro"), True),
        (f("custom_attributes.seats", ">", 11), True),
        (f("custom_attributes.seats", ">=", 13), False),
        (f("custom_attributes.missing", "=", "x"), False),
        (f("last_seen_at", "<", 1800000000), False),  # null never matches a range
    ],
)
def test_contact_matching(query, expected):
    assert compile_(query).matches(CONTACT) is expected


def test_and_or_combination():
    query = {
        "operator": "AND",
        "value": [
            {"operator": "OR", "value": [f("role", "=", "lead"), f("tag_id", "=", "7")]},
            f("email", "~", "example"),
        ],
    }
    assert compile_(query).matches(CONTACT)
    query["value"][1] = f("email", "~", "nowhere")
    assert not compile_(query).matches(CONTACT)


# ------------------------------------------------------------------ matching: conversations


@pytest.mark.parametrize(
    "query,expected",
    [
        (f("source.body", "=", "support"), True),
        (f("source.body", "=", "need support"), False),
        (f("source.body", "=", "SUPPORT"), True),
        (f("source.body", "=", "b"), False),  # markup is not text
        (f("source.body", "~", "need supp"), True),
        (f("source.body", "IN", ["nope", "please"]), True),
        (f("source.author.email", "=", "bob@example.com"), True),
        (f("source.author.id", "=", "c1"), True),
        (f("source.id", "=", 77), True),
        (f("contact_ids", "=", "c1"), True),
        (f("contact_ids", "!=", "c1"), False),
        (f("teammate_ids", "=", "42"), False),
        (f("teammate_ids", "=", None), True),
        (f("tag_ids", "IN", ["4", "5"]), True),
        (f("tag_ids", "NIN", ["5"]), False),
        (f("admin_assignee_id", "=", 42), True),
        (f("admin_assignee_id", "=", "42"), True),
        (f("team_assignee_id", "=", 0), True),
        (f("open", "=", True), True),
        (f("read", "=", True), False),
        (f("state", "IN", ["open", "snoozed"]), True),
        (f("priority", "=", "HIGH"), True),
        (f("statistics.time_to_admin_reply", ">", 299), True),
        (f("statistics.time_to_admin_reply", "<", 300), False),
        (f("statistics.last_close_at", ">", 0), False),
        (f("conversation_rating.score", "=", 5), False),
        (f("custom_attributes.Region", "=", "emea"), True),
        (f("id", "=", "1001"), True),
        (f("id", "=", 1001), True),
    ],
)
def test_conversation_matching(query, expected):
    assert compile_(query, "conversations").matches(CONVERSATION) is expected


@pytest.mark.parametrize("inclusive", [False, True])
def test_conversation_dates_compare_to_the_second(inclusive):
    t = CONVERSATION["updated_at"]

    def hits(op, value):
        return compile_(f("updated_at", op, value), "conversations", inclusive_range=inclusive)

    assert hits("=", t).matches(CONVERSATION)
    assert not hits("=", t + 1).matches(CONVERSATION)
    assert hits(">", t - 1).matches(CONVERSATION)
    assert hits(">", t).matches(CONVERSATION) is inclusive
    assert hits("<", t + 1).matches(CONVERSATION)
    assert hits("<", t).matches(CONVERSATION) is inclusive
    assert hits(">", t - 1).updated_at_bounds == ((t - 1) if inclusive else t, None)


def test_inclusive_range_module_default(monkeypatch):
    import emulator.search as search

    t = CONVERSATION["updated_at"]
    monkeypatch.setattr(search, "INCLUSIVE_RANGE_DEFAULT", True)
    assert compile_(f("updated_at", ">", t), "conversations").matches(CONVERSATION)
    # contacts stay per-day regardless
    assert not compile_(f("updated_at", ">", t)).matches({"updated_at": t})


# ------------------------------------------------------------------ matching: tickets


@pytest.mark.parametrize(
    "query,expected",
    [
        (f("category", "=", "task"), True),
        (f("category", "=", "request"), False),
        (f("state", "=", "in_progress"), True),
        (f("title", "~", "on fire"), True),
        (f("description", "=", None), True),
        (f("ticket_type_id", "=", "100"), True),
        (f("ticket_type_id", "=", 100), True),
        (f("contact_ids", "=", "c9"), True),
        (f("teammate_ids", "=", "42"), True),
        (f("admin_assignee_id", "=", "42"), True),
        (f("team_assignee_id", "=", "0"), True),
        (f("open", "=", False), False),
        (f("ticket_attribute.220", "^", "printer"), True),
        (f("ticket_attribute.223", ">", 2), True),
        (f("ticket_attribute.999", "=", "x"), False),
        (f("updated_at", "<", 1700000100), False),
    ],
)
def test_ticket_matching(query, expected):
    assert compile_(query, "tickets").matches(TICKET) is expected


# ------------------------------------------------------------------ updated_at bounds


def test_bounds_of_common_incremental_queries():
    # Airbyte-style inclusive lower bound on conversations
    lower = {"operator": "OR", "value": [f("updated_at", ">", 100), f("updated_at", "=", 100)]}
    assert compile_(lower, "conversations").updated_at_bounds == (100, None)
    window = {"operator": "AND", "value": [lower, f("updated_at", "<", 200)]}
    assert compile_(window, "conversations").updated_at_bounds == (100, 199)
    # anything else in an OR makes it unbounded
    loose = {"operator": "OR", "value": [f("updated_at", ">", 100), f("open", "=", True)]}
    assert compile_(loose, "conversations").updated_at_bounds == (None, None)
    assert compile_(f("open", "=", True), "conversations").updated_at_bounds == (None, None)
    # contacts: day-truncated (UTC here): > 1577869200 starts at 2020-01-02 00:00 UTC
    assert compile_(f("updated_at", ">", 1577869200)).updated_at_bounds == (1577923200, None)
    assert compile_(f("updated_at", "=", 1577869200)).updated_at_bounds == (1577836800, 1577923199)
    assert compile_(f("created_at", ">", 1577869200)).updated_at_bounds == (None, None)


# ------------------------------------------------------------------ custom attribute types


def test_custom_attribute_types_from_data_attributes():
    from emulator.search import custom_attribute_types

    attributes = [
        {"name": "email", "full_name": "email", "data_type": "string", "custom": False},
        {
            "name": "plan",
            "full_name": "custom_attributes.plan",
            "data_type": "string",
            "custom": True,
        },
        {"name": "trial ends 🎈", "data_type": "date", "custom": True, "archived": True},
    ]
    types = custom_attribute_types(attributes)
    assert types == {"plan": "string", "trial ends 🎈": "date"}
    record = {"custom_attributes": {"trial ends 🎈": 1700000000}}
    same_day = compile_(
        f("custom_attributes.trial ends 🎈", "=", 1700000000 + 3600), custom_attribute_types=types
    )
    assert same_day.matches(record)  # a date attribute: whole-day match
    untyped = compile_(f("custom_attributes.trial ends 🎈", "=", 1700000000 + 3600))
    assert not untyped.matches(record)  # without types the value's type decides: integer


def test_custom_attribute_types_do_not_apply_to_ticket_attributes():
    search = compile_(f("ticket_attribute.223", "=", 3), "tickets", custom_attribute_types={})
    assert search.matches(TICKET)


# ------------------------------------------------------------------ composition


def test_incremental_lower_bound_on_contacts_starts_at_the_local_day():
    # `> x OR = x` (Airbyte's >=) on contacts covers everything from the start of x's local day
    x = 1577869200  # 2020-01-01 09:00 UTC
    query = {"operator": "OR", "value": [f("updated_at", ">", x), f("updated_at", "=", x)]}
    search = compile_(query)
    assert search.matches({"updated_at": 1577836800})  # midnight, before x
    assert not search.matches({"updated_at": 1577836799})
    assert search.updated_at_bounds == (1577836800, None)


# ------------------------------------------------------------------ older API versions


@pytest.mark.parametrize(
    "version,query,expected",
    [
        ("2.9", f("priority", "=", "priority"), True),
        ("2.9", f("priority", "=", "high"), False),
        ("2.16", f("priority", "=", "priority"), False),
        ("2.15", f("team_assignee_id", "=", None), True),
        ("2.15", f("team_assignee_id", "=", 0), False),
        ("2.16", f("team_assignee_id", "=", 0), True),
        ("2.9", f("admin_assignee_id", "=", 42), True),
    ],
)
def test_conversation_values_as_older_versions_serve_them(version, query, expected):
    assert compile_(query, "conversations", api_version=version).matches(CONVERSATION) is expected
    not_priority = {**CONVERSATION, "priority": "none"}
    legacy = compile_(f("priority", "=", "not_priority"), "conversations", api_version="2.9")
    assert legacy.matches(not_priority)
