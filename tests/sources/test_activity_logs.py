"""The admins' activity log (issue 21): `admin_activity_logs` equals the world's log on 2.9 and
2.16, each later run reads one window from just before the previous run's end (entries read
twice stay one row), and a long pause is read in windows."""

from __future__ import annotations

import pytest

from bench.minimum import _world_counts, activity_log_requests
from emulator.world.activity import advance
from sources.intercom.activity_logs import WINDOW_SECONDS, windows
from sources.intercom.settings import CLOCK_SKEW_SECONDS
from tests.helpers.truth import mismatches, truth

PATH = "/admins/activity_logs"
# truth key -> warehouse column
COLUMNS = {"performed_by_id": "performed_by__id"}


def _want(emu) -> list[dict]:
    return [
        {COLUMNS.get(k, k): v for k, v in row.items()} for row in truth(emu, "admin_activity_logs")
    ]


def _log_requests(emu) -> int:
    endpoints = emu.control.stats.snapshot()["endpoints"]
    return sum(
        n
        for endpoint, by_status in endpoints.items()
        if PATH in endpoint
        for n in by_status.values()
    )


@pytest.mark.parametrize("api_version", ["2.9", "2.16"])
def test_the_log_equals_the_world_before_and_after_activity(emulator, sync, rows, api_version):
    emu = emulator(api_version=api_version)
    counts = _world_counts(emu.base_url)
    emu.control.stats.reset()
    sync(emu, resources=["admin_activity_logs"])
    assert _log_requests(emu) == activity_log_requests(counts, first=True)
    assert mismatches(rows("admin_activity_logs"), _want(emu)) == []
    before = len(rows("admin_activity_logs"))
    emu.advance(2 * 86400)  # sign-ins, away-mode changes, a new admin, part deletions …
    emu.control.stats.reset()
    sync(emu, resources=["admin_activity_logs"])
    assert _log_requests(emu) == activity_log_requests(counts, first=False)
    loaded = rows("admin_activity_logs")
    assert len(loaded) > before
    assert len({r["id"] for r in loaded}) == len(loaded)
    assert mismatches(loaded, _want(emu)) == []
    kinds = {r["activity_type"] for r in loaded}
    assert {"app_admin_join", "admin_login_success", "admin_away_mode_change"} <= kinds


def test_a_rerun_reads_back_the_skew_margin_and_loads_no_duplicate(emulator, sync, rows):
    emu = emulator()
    sync(emu, resources=["admin_activity_logs"])
    first = len(rows("admin_activity_logs"))
    # entries within the last half hour are read again by the next run: still one row each
    advance(emu.world, 600)
    sync(emu, resources=["admin_activity_logs"])
    loaded = rows("admin_activity_logs")
    assert len({r["id"] for r in loaded}) == len(loaded) >= first
    assert mismatches(loaded, _want(emu)) == []


def test_a_long_pause_is_read_in_windows(emulator, sync, rows):
    emu = emulator()
    sync(emu, resources=["admin_activity_logs"])
    emu.advance(70 * 86400, intensity=0.2)
    emu.control.stats.reset()
    sync(emu, resources=["admin_activity_logs"])
    assert _log_requests(emu) == 3  # 70 days and the skew margin: three 30-day windows
    assert mismatches(rows("admin_activity_logs"), _want(emu)) == []


def test_windows_cover_the_range_sharing_their_boundaries():
    assert windows(None, 1000) == [(0, 1000)]
    assert windows(500, 500) == [(500, 500)]
    span = windows(100, 100 + 2 * WINDOW_SECONDS + 5)
    assert span == [
        (100, 100 + WINDOW_SECONDS),
        (100 + WINDOW_SECONDS, 100 + 2 * WINDOW_SECONDS),
        (100 + 2 * WINDOW_SECONDS, 100 + 2 * WINDOW_SECONDS + 5),
    ]
    assert CLOCK_SKEW_SECONDS < WINDOW_SECONDS
