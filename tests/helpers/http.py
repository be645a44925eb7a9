"""Small helpers for the emulator's HTTP tests (real HTTP against a running emulator)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx

from emulator.testing import RunningEmulator

# httpx builds (and loads CA certificates into) an SSL context per Client unless given one:
# ~70 ms each. The emulator is plain HTTP, so one shared context serves every test client.
_TLS = ssl.create_default_context()


def client(emu: RunningEmulator, version: str | None = None) -> httpx.Client:
    """A client sending the emulator's token, Accept and (optionally) Intercom-Version."""
    return httpx.Client(
        base_url=emu.base_url, headers=emu.headers(version), timeout=30, verify=_TLS
    )


def raw(timeout: float = 30) -> httpx.Client:
    """A client sending nothing by itself (for auth tests and `/_emulator/` calls)."""
    return httpx.Client(timeout=timeout, verify=_TLS)


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["type"] == "error.list"
    return body["errors"][0]["code"]


def follow_search(
    http: httpx.Client, path: str, body: dict[str, Any], items_key: str = "data"
) -> Iterator[dict[str, Any]]:
    """Every page of a search, following `pages.next.starting_after` in the body."""
    body = dict(body)
    while True:
        response = http.post(path, json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        yield page
        following = page["pages"].get("next")
        if not following:
            return
        body["pagination"] = {
            **body.get("pagination", {}),
            "starting_after": following["starting_after"],
        }


def follow_list(
    http: httpx.Client, path: str, params: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every page of a family-A cursor list (`?starting_after=`)."""
    params = dict(params or {})
    while True:
        response = http.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        yield page
        following = page["pages"].get("next")
        if not following:
            return
        params["starting_after"] = following["starting_after"]
