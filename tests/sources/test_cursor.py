"""HorizonCursor: admits each record version once, keeps late arrivals, prunes its horizon."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.intercom.cursor import STATE_KEY, HorizonCursor, IdSet


def test_first_run_admits_everything_and_tracks_max() -> None:
    state: dict = {}
    cursor = HorizonCursor(state)
    assert cursor.since is None
    assert [cursor.admit(i, ts) for i, ts in [("a", 10), ("b", 10), ("c", 12)]] == [True] * 3
    assert cursor.last_value == 12
    assert state[STATE_KEY]["seen"] == {"a": 10, "b": 10, "c": 12}


def test_rerun_of_the_overlap_admits_only_new_versions() -> None:
    state: dict = {}
    first = HorizonCursor(state)
    for i, ts in [("a", 10), ("b", 12)]:
        first.admit(i, ts)
    second = HorizonCursor(json.loads(json.dumps(state)))  # survives a state round trip
    assert second.since == 12
    assert not second.admit("a", 10)  # same version re-read by the overlap
    assert not second.admit("b", 12)
    assert second.admit("c", 12)  # same second as the cursor, new record
    assert second.admit("a", 15)  # a newer version of a known record
    assert second.admit("late", 5)  # index lag: appears late with an older updated_at
    assert second.last_value == 15


def test_stale_version_never_overwrites_a_newer_one() -> None:
    cursor = HorizonCursor({})
    assert cursor.admit("a", 20)
    assert not cursor.admit("a", 19)


def test_start_value_bounds_the_first_run() -> None:
    cursor = HorizonCursor({}, start_value=100)
    assert cursor.since == 100
    assert not cursor.admit("old", 99)
    assert cursor.admit("edge", 100)
    assert cursor.since == 100


def test_missing_updated_at_is_loaded_not_dropped() -> None:
    cursor = HorizonCursor({})
    assert cursor.admit("x", None)
    assert cursor.last_value is None


def test_prune_forgets_only_versions_before_the_horizon() -> None:
    state: dict = {}
    cursor = HorizonCursor(state)
    for i, ts in [("a", 1), ("b", 5), ("c", 9)]:
        cursor.admit(i, ts)
    assert cursor.prune(keep_from=5) == 1
    assert state[STATE_KEY]["seen"] == {"b": 5, "c": 9}
    assert cursor.prune(None) == 0


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(
        st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 50)), max_size=30),
        min_size=1,
        max_size=5,
    ),
    overlap=st.integers(0, 20),
)
def test_each_version_admitted_exactly_once_when_the_overlap_covers_rereads(
    runs: list[list[tuple[str, int]]], overlap: int
) -> None:
    """Model: each run re-reads what it read before within the overlap plus new versions.

    Property: over all runs a given (id, updated_at) is admitted at most once, and the newest
    version of every id reachable in the overlap is admitted at least once.
    """
    state: dict = {}
    admitted: list[tuple[str, int]] = []
    for batch in runs:
        cursor = HorizonCursor(state)
        since = cursor.since
        keep_from = None if since is None else since - overlap
        for record_id, ts in sorted(batch, key=lambda p: p[1]):
            if keep_from is not None and ts < keep_from:
                continue  # outside this run's query window
            if cursor.admit(record_id, ts):
                admitted.append((record_id, ts))
        nxt = cursor.since
        cursor.prune(None if nxt is None else nxt - overlap)
    assert len(admitted) == len(set(admitted))


def test_versions_read_within_their_own_second_are_admitted_again_next_run() -> None:
    state: dict = {}
    first = HorizonCursor(state, settled_before=100)  # the server clock read 100
    assert first.admit("settled", 99)
    assert first.admit("fresh", 100)  # may still change within second 100
    second = HorizonCursor(state, settled_before=lambda: 105)
    assert not second.admit("settled", 99)
    assert second.admit("fresh", 100)  # loaded once more, now final
    third = HorizonCursor(state, settled_before=106)
    assert not third.admit("fresh", 100)


def test_a_first_run_with_remember_within_forgets_old_versions_as_it_goes() -> None:
    state: dict = {}
    cursor = HorizonCursor(state, remember_within=100)
    for ts in range(200_000):  # ascending, as a first sync reads: each the newest so far
        assert cursor.admit(f"c{ts}", ts)
    assert len(cursor) < 110_000  # trimmed to the horizon every so often, not 200k
    cursor.prune(cursor.last_value - 100)
    assert sorted(state["horizon_cursor"]["seen"].values()) == list(range(199_899, 200_000))
    # The next run re-reads from its cutoff: every re-read is recognised, and it keeps all
    # it remembers until its end (it may re-read them in any order).
    rerun = HorizonCursor(state, remember_within=100)
    assert not any(rerun.admit(f"c{ts}", ts) for ts in range(199_899, 200_000))
    assert len(rerun) == 101


def test_remember_within_forgets_old_versions_read_after_newer_ones() -> None:
    state: dict = {}
    cursor = HorizonCursor(state, remember_within=100)
    assert cursor.admit("new", 1000)
    assert cursor.admit("old", 10)  # read after the cursor passed it (a concurrent slice)
    assert cursor.admit("recent", 950)
    assert state["horizon_cursor"]["seen"] == {"new": 1000, "recent": 950}


def test_id_set_is_exact_for_hex_and_other_ids() -> None:
    ids = IdSet()
    hex_id = "6955b2684c390100000088b5"
    for record_id in (hex_id, "cmp-000001", "000000000000000000000001"):
        ids.add(record_id)
    assert hex_id in ids and "cmp-000001" in ids and "000000000000000000000001" in ids
    assert hex_id.upper() not in ids  # another id, not the same integer
    assert "6955b2684c390100000088b6" not in ids
    assert "1" not in ids and 1 not in ids  # the integer 1 is not an id that was added
    assert "00000000000000000000000001" not in ids  # 26 digits: kept as a string
    assert len(ids) == 3
