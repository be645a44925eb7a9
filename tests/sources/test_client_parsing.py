"""Envelope parsing: items are read under the real key of each endpoint (issue 17: no
guessing which list is meant), `pages.next` leniently (object or URL); strict where leniency
would lose rows."""

from __future__ import annotations

import pytest

from sources.intercom.errors import PaginationError, UnexpectedShapeError
from sources.intercom.pagination import _cursor_from_next, extract_items
from sources.intercom.records import list_items


def test_items_come_from_the_real_key_only() -> None:
    assert extract_items({"type": "list", "conversations": [{"id": 1}]}, "conversations") == [
        {"id": 1}
    ]
    assert extract_items({"type": "list", "data": [], "pages": None}, "data") == []
    assert extract_items({"type": "list", "total_count": 0}, "data") == []


@pytest.mark.parametrize(
    "body",
    [
        # the 2.9 spec's `paginated_response.data` where real answers say `conversations`
        {"type": "list", "data": [{"id": 2}]},
        {"type": "list", "admins": [{"id": 1}], "teams": [{"id": 2}]},
        {"type": "list", "conversations": None, "data": [{"id": 2}]},
    ],
)
def test_items_under_another_key_raise_instead_of_guessing(body: dict) -> None:
    with pytest.raises(PaginationError, match="'conversations'"):
        extract_items(body, "conversations")


def test_embedded_lists_are_read_by_their_real_key() -> None:
    teammates = {"type": "admin.list", "admins": [{"type": "admin", "id": "7"}]}
    assert list_items(teammates, "admins") == [{"type": "admin", "id": "7"}]
    assert list_items({"type": "admin.list"}, "admins") == []
    assert list_items(None, "admins") == [] and list_items({}, "data") == []
    # Read under the spec's key (`teammates`) the list would be silently empty; before issue 17
    # a "single list in the object" fallback picked whatever list was there. Both are refused:
    # the run stops and names the keys.
    with pytest.raises(UnexpectedShapeError, match="'teammates'.*'admins'"):
        list_items(teammates, "teammates")


def test_cursor_from_next_object_or_url() -> None:
    assert _cursor_from_next({"page": 2, "starting_after": "WzEsIngiLDJd"}) == "WzEsIngiLDJd"
    url = "https://api.intercom.io/contacts?per_page=50&starting_after=WzEsIngiLDJd"
    assert _cursor_from_next(url) == "WzEsIngiLDJd"
    assert _cursor_from_next({"page": 2}) is None
    assert _cursor_from_next(None) is None
