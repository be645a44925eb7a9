"""companies: the full scroll each run, filtered to what changed, converges to the truth."""

from __future__ import annotations

import httpx
import pytest

from emulator.world import ops
from emulator.world.activity import advance, touch
from sources.intercom.client import IntercomClient
from tests.helpers.truth import mismatches, pairs, settle, truth

VERSIONS = ["2.9", "2.16"]
LINKS = {"companies__tags": "tag_id", "companies__segments": "segment_id"}


def assert_converged(emu, rows) -> None:
    assert mismatches(rows("companies"), truth(emu, "companies")) == []
    for table, column in LINKS.items():
        expected = pairs(truth(emu, table), "company_id", column)
        assert expected, f"the world should have {table} links"
        assert pairs(rows(table), "company_id", column) == expected, table


@pytest.mark.parametrize("api_version", VERSIONS)
def test_full_then_incremental_syncs_converge(emulator, sync, rows, loaded, api_version):
    # A small scroll page so the scan spans many pages.
    emu = emulator(api_version=api_version, scroll_page_size=7)
    sync(emu, resources=["companies"])
    assert_converged(emu, rows)
    advance(emu.world, 2 * 24 * 3600)
    touch(emu.world, 5)
    sync(emu, resources=["companies"])
    assert_converged(emu, rows)
    settle(emu)  # versions read during their own second load once more
    sync(emu, resources=["companies"])
    sync(emu, resources=["companies"])
    assert loaded()["companies"] == 0


def test_same_second_update_after_the_cursor_is_loaded(emulator, sync, rows, loaded):
    emu = emulator()
    sync(emu, resources=["companies"])
    touch(emu.world, 6)
    sync(emu, resources=["companies"])
    touch(emu.world, 6)  # same data-clock second as the cursor
    sync(emu, resources=["companies"])
    assert_converged(emu, rows)


def test_scroll_restarts_after_500s_and_expiry(emulator, sync, rows):
    # rates high enough that some page fails whatever the other requests drew (the fault
    # stream is shared, and company notes are read concurrently with the scroll)
    faults = {"GET /companies/scroll": {"scroll_error_rate": 0.15, "scroll_expire_rate": 0.15}}
    emu = emulator(scroll_page_size=5, faults=faults, seed=12)
    client = IntercomClient(emu.token, base_url=emu.base_url, scroll_wait_s=0.1)
    sync(emu, resources=["companies"], client=client)
    assert_converged(emu, rows)
    restarts = [
        status
        for status, n in emu.control.stats.snapshot()["endpoints"]
        .get("GET /companies/scroll", {})
        .items()
        if status != "200" and n
    ]
    assert restarts, "the scenario needs scroll failures"


class _SomeoneElsesScroll(httpx.HTTPTransport):
    """Opens someone else's scroll just before the sync's first scroll request (Intercom
    allows one per workspace), so that it is still open whatever the machine's load."""

    def __init__(self, emu) -> None:
        super().__init__()
        self.emu = emu
        self.opened = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/companies/scroll" and not self.opened:
            self.opened = True
            first = httpx.get(self.emu.url("/companies/scroll"), headers=self.emu.headers("2.16"))
            assert first.status_code == 200
        return super().handle_request(request)


def test_an_open_scroll_is_waited_out(emulator, sync, rows):
    emu = emulator(scroll_ttl_seconds=1.0)
    client = IntercomClient(
        emu.token, base_url=emu.base_url, scroll_wait_s=0.5, transport=_SomeoneElsesScroll(emu)
    )
    sync(emu, resources=["companies"], client=client)
    assert client.stats.by_status[400] >= 1  # scroll_exists was answered and waited out
    assert_converged(emu, rows)


def test_updates_during_the_scroll_are_caught_by_the_next_run(emulator, sync, rows, loaded):
    emu = emulator(scroll_page_size=5, mutate_during_pagination=2)
    sync(emu, resources=["companies"])
    emu.control.update({"mutate_during_pagination": 0})
    sync(emu, resources=["companies"])
    assert_converged(emu, rows)
    settle(emu)  # versions read during their own second load once more
    sync(emu, resources=["companies"])
    sync(emu, resources=["companies"])
    assert loaded()["companies"] == 0


class _ChangesDuringTheScroll(httpx.HTTPTransport):
    """A real HTTP transport that changes the world between scroll pages: after the first
    page, a company the scroll already passed; five seconds later, one still ahead of it."""

    def __init__(self, emu) -> None:
        super().__init__()
        self.emu = emu
        self.pages = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == "/companies/scroll":
            self.pages += 1
            ids = list(self.emu.world.companies.ids())  # the scroll's (creation) order
            if self.pages in (1, 2):
                _rename(self.emu, ids[0] if self.pages == 1 else ids[-1])
        return response


def _rename(emu, company_id: str) -> None:
    with emu.control.lock:
        world = emu.world
        advance(world, 5, intensity=0.0)
        record = ops.editable(world.companies, company_id)
        record["name"] = f"{record['name']} (renamed)"
        ops.save(world.companies, record, world.now)


def test_changes_behind_the_scroll_are_loaded_next_run(emulator, sync, rows):
    emu = emulator(scroll_page_size=4)
    sync(emu, resources=["companies"])
    transport = _ChangesDuringTheScroll(emu)
    client = IntercomClient(emu.token, base_url=emu.base_url, transport=transport)
    sync(emu, resources=["companies"], client=client)
    assert transport.pages > 2
    # The first company changed after the scroll passed it: it is older than the last one,
    # changed later and loaded by that run. The next run must still load it.
    sync(emu, resources=["companies"])
    assert_converged(emu, rows)
