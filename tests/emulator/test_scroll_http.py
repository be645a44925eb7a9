"""Company scroll rules over real HTTP (API-NOTES §3.3): lock, constant param, end, idle expiry."""

from __future__ import annotations

import httpx

from emulator.world import WorldConfig


def scroll(client: httpx.Client, param: str | None = None) -> httpx.Response:
    return client.get("/companies/scroll", params={"scroll_param": param} if param else None)


def test_scroll_walks_every_company_once_with_one_param(emulator_factory):
    emu = emulator_factory(WorldConfig(seed=5, scale="tiny"), scroll_page_size=7)
    with httpx.Client(base_url=emu.base_url, headers=emu.headers()) as client:
        first = scroll(client).json()
        assert first["pages"] is None and first["total_count"] is None
        param, seen = first["scroll_param"], [c["id"] for c in first["data"]]
        # one open scroll per workspace
        locked = scroll(client)
        assert locked.status_code == 400
        assert locked.json()["errors"][0]["code"] == "scroll_exists"
        while True:
            page = scroll(client, param).json()
            assert page["scroll_param"] == param  # the same param on every page
            if not page["data"]:
                break
            seen.extend(c["id"] for c in page["data"])
        assert len(seen) == len(set(seen))
        assert set(seen) == set(emu.world.companies.ids())
        # the end closes the scroll: its param is dead and a new scroll may start
        assert scroll(client, param).status_code == 404
        assert scroll(client).status_code == 200


def test_idle_scroll_expires_after_a_minute(emulator_factory):
    emulator = emulator_factory(scroll_page_size=5)  # several pages, so the end is not reached
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers()) as client:
        param = scroll(client).json()["scroll_param"]
        emulator.advance(40)
        assert scroll(client, param).status_code == 200  # use refreshes the idle timer
        emulator.advance(40)
        assert scroll(client, param).status_code == 200
        emulator.advance(61)
        expired = scroll(client, param)
        assert expired.status_code == 404
        assert expired.json()["errors"][0]["code"] == "not_found"
        assert scroll(client).status_code == 200  # the lock went with it


def test_unknown_scroll_param_is_not_found(emulator):
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers()) as client:
        assert scroll(client, "00000000-0000-4000-8000-000000000000").status_code == 404
