import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.cursors import decode_cursor, encode_cursor

sort_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(max_size=30),
    st.floats(allow_nan=False, allow_infinity=False),
)
ids = st.text(min_size=1, max_size=30)
pages = st.integers(min_value=1, max_value=10**9)


@settings(max_examples=200)
@given(sort_values, ids, pages)
def test_round_trip(sort_value, last_id, page):
    assert decode_cursor(encode_cursor(sort_value, last_id, page)) == (sort_value, last_id, page)


def test_shape_matches_intercom_observed_cursor():
    # Observed in the wild (API-NOTES §2): WzAsIjVlNzZl…IsMl0= -> [0,"5e76e5c8b88eb7d2a6dbc1d5",2]
    cursor = encode_cursor(0, "5e76e5c8b88eb7d2a6dbc1d5", 2)
    assert cursor.startswith("WzAsIjVlNzZl") and cursor.endswith("IsMl0=")
    assert json.loads(base64.b64decode(cursor)) == [0, "5e76e5c8b88eb7d2a6dbc1d5", 2]


def _b64(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not base64!",
        "WzAsIjVl",  # truncated
        encode_cursor(5, "abc", 2).replace("=", ""),  # padding stripped
        base64.b64encode(b"\xff\xfe").decode(),  # not UTF-8
        base64.b64encode(b"not json").decode(),
        _b64({"page": 2}),
        _b64([1, "a"]),
        _b64([1, "a", 2, 3]),
        _b64([1, 5, 2]),  # id not a string
        _b64([1, "", 2]),
        _b64([1, "a", 0]),
        _b64([1, "a", "2"]),
        _b64([1, "a", True]),
        _b64([[1], "a", 2]),
        _b64([True, "a", 2]),
    ],
)
def test_garbage_is_rejected(garbage):
    with pytest.raises(ValueError):
        decode_cursor(garbage)


def test_url_mangled_cursor_is_rejected():
    # '+' decoded to ' ' by a sloppy client must not silently map to another cursor
    cursor = encode_cursor(0, "???>>>", 2)
    assert "+" in cursor or "/" in cursor
    with pytest.raises(ValueError):
        decode_cursor(cursor.replace("+", " ").replace("/", "_"))


@pytest.mark.parametrize("page", [0, -1, True, 1.5])
def test_encode_rejects_bad_page(page):
    with pytest.raises(ValueError):
        encode_cursor(1, "a", page)
