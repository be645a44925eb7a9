"""Lenient envelope parsing (API-NOTES §7.9): the spec and the real API disagree on array keys
and on the shape of `pages.next`; strict where leniency would lose rows."""

from __future__ import annotations

import pytest

from sources.intercom.errors import PaginationError
from sources.intercom.pagination import _cursor_from_next, extract_items


def test_items_come_from_the_named_key_then_data_then_the_only_array() -> None:
    assert extract_items({"type": "list", "conversations": [{"id": 1}]}, "conversations") == [
        {"id": 1}
    ]
    # 2.9 spec says `paginated_response.data`; real answers say `conversations`, and vice versa.
    assert extract_items({"type": "list", "data": [{"id": 2}]}, "conversations") == [{"id": 2}]
    assert extract_items({"type": "list", "ticket_types": [{"id": 3}]}, "data") == [{"id": 3}]
    assert extract_items({"type": "list", "data": [], "pages": None}, "data") == []
    assert extract_items({"type": "list", "total_count": 0}, "data") == []


def test_ambiguous_envelopes_raise_instead_of_guessing() -> None:
    with pytest.raises(PaginationError, match="which array"):
        extract_items({"type": "list", "admins": [{"id": 1}], "teams": [{"id": 2}]}, "data")


def test_cursor_from_next_object_or_url() -> None:
    assert _cursor_from_next({"page": 2, "starting_after": "WzEsIngiLDJd"}) == "WzEsIngiLDJd"
    url = "https://api.intercom.io/contacts?per_page=50&starting_after=WzEsIngiLDJd"
    assert _cursor_from_next(url) == "WzEsIngiLDJd"
    assert _cursor_from_next({"page": 2}) is None
    assert _cursor_from_next(None) is None
