"""The Intercom client against the real emulator over HTTP: errors, pagination families,
get_many, pacing and the scroll. Expected records come from the emulator's world."""

from __future__ import annotations

import functools
import gc
import http.server
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.http.control import Settings
from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from sources.intercom.client import IntercomClient
from sources.intercom.errors import (
    ApiUnavailableError,
    ApiVersionError,
    AuthError,
    IntercomApiError,
    NotFoundError,
)

WORLD = WorldConfig(seed=5, scale="tiny")
FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05}


@pytest.fixture(scope="module")
def shared_emu() -> Iterator[RunningEmulator]:
    with running_emulator(WORLD, api_version="2.16") as emu:
        yield emu


CHANGED_SETTINGS = (
    "faults",
    "rate_limit",
    "rate_limit_window_seconds",
    "scroll_ttl_seconds",
    "scroll_page_size",
)


@pytest.fixture
def emu(shared_emu: RunningEmulator) -> Iterator[RunningEmulator]:
    """The module's emulator with default settings, fresh limiter/scroll/stats per test."""
    shared_emu.control.reset_runtime()
    yield shared_emu
    defaults = Settings()  # the settings this module's tests change, back to the emulator's
    shared_emu.control.update({k: getattr(defaults, k) for k in CHANGED_SETTINGS})
    shared_emu.control.reset_runtime()


def client_for(emu: RunningEmulator, **kwargs) -> IntercomClient:
    return IntercomClient(emu.token, base_url=emu.base_url, **{**FAST, **kwargs})


def served(emu: RunningEmulator, status: int) -> int:
    """Requests the emulator answered with `status` (its own count, not the client's)."""
    endpoints = emu.control.stats.snapshot()["endpoints"]
    return sum(counts.get(str(status), 0) for counts in endpoints.values())


def ids_of(pages: Iterator[list[dict]]) -> list[str]:
    return [str(item["id"]) for page in pages for item in page]


# -- basics and errors ------------------------------------------------------------------------


def test_get_sends_version_and_reads_the_server_clock(emu: RunningEmulator) -> None:
    with client_for(emu, api_version="2.16") as client:
        me = client.get("/me")
        assert me["id"] == emu.world.me["id"]
        assert me["app"]["timezone"] == emu.world.timezone
        assert client.server_time() == emu.world.now  # the data clock, not the local one
        assert client.stats.requests == 1
        assert client.stats.by_status == {200: 1}


def test_401_fails_at_once_with_a_message_naming_the_fix(emu: RunningEmulator) -> None:
    token = "wrong-token-8f3a1c"
    with IntercomClient(token, base_url=emu.base_url, **FAST) as client:
        with pytest.raises(AuthError) as info:
            client.get("/me")
        assert client.stats.requests == 1
    message = str(info.value)
    assert "SOURCES__INTERCOM__ACCESS_TOKEN" in message
    assert "INTERCOM_ACCESS_TOKEN" in message and "region" in message
    assert token not in message and token not in repr(info.value)
    assert served(emu, 401) == 1


def test_endpoint_missing_in_the_version_raises_api_version_error(emu: RunningEmulator) -> None:
    with client_for(emu, api_version="2.9") as client, pytest.raises(ApiVersionError) as info:
        client.get("/conversations/deleted")
    assert info.value.code == "intercom_version_invalid"
    assert "2.9" in str(info.value) and "/conversations/deleted" in str(info.value)
    assert served(emu, 400) == 1


def test_not_found_and_other_4xx_are_not_retried(emu: RunningEmulator) -> None:
    with client_for(emu) as client:
        with pytest.raises(NotFoundError) as info:
            client.get("/contacts/000000000000000000000000")
        assert info.value.status == 404
        with pytest.raises(IntercomApiError) as bad:
            client.post("/contacts/search", {"query": {"field": "updated_at", "operator": "~"}})
        assert bad.value.status == 400 and bad.value.code
        assert client.stats.requests == 2 and client.stats.retries == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "api.intercom-typo.invalid"])
def test_an_unreachable_base_url_fails_on_the_first_attempt_naming_it(host: str) -> None:
    """Connection refused or an unknown host before any answer: a wrong base URL, not a
    fault, so one attempt instead of the whole retry budget (minutes of backoff)."""
    base_url = "http://" + host.format(port=_closed_port())
    with IntercomClient("t", base_url=base_url, max_retries=8, **FAST) as client:
        with pytest.raises(ApiUnavailableError) as info:
            client.get("/me")
        assert client.stats.requests == 1
        assert client.stats.retries == 0
    assert info.value.attempts == 1
    assert base_url in str(info.value) and "GET /me" in str(info.value)
    assert "base_url/region" in str(info.value)


def test_a_refused_connection_after_the_host_answered_is_retried() -> None:
    """The host answered once, then went away (a restart, a network blip mid-run): the
    retries still apply."""
    with running_emulator(WORLD, api_version="2.16") as emu:
        client = IntercomClient(emu.token, base_url=emu.base_url, max_retries=3, **FAST)
        client.me()
    with client, pytest.raises(ApiUnavailableError) as info:  # the emulator is stopped now
        client.get("/admins")
    assert info.value.attempts == 4
    assert client.stats.retries == 3


def test_a_base_url_that_is_not_intercom_says_so(tmp_path: Path) -> None:
    # A real HTTP server that is not Intercom (a static file server on an empty folder).
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with (
            IntercomClient("t" * 20, base_url=base_url, **FAST) as client,
            pytest.raises(NotFoundError) as info,
        ):
            client.get("/me")
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.code is None
    assert f"is base_url {base_url} right?" in str(info.value)


def test_cookies_a_server_sets_are_neither_kept_nor_sent() -> None:
    # The API authenticates by token alone; the client keeps no cookie jar (it cost ~5 % of
    # a request's CPU). A real HTTP server that sets one and records what comes back.
    seen: list[str | None] = []

    class SetsCookies(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Cookie"))
            body = b'{"type": "admin", "id": "1"}'
            self.send_response(200)
            self.send_header("Set-Cookie", "session=abc; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SetsCookies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        with IntercomClient("t" * 20, base_url=base_url, **FAST) as client:
            assert client.get("/me")["id"] == "1"
            assert client.get("/me")["id"] == "1"
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [None, None]


def test_region_picks_the_base_url_and_base_url_wins() -> None:
    assert IntercomClient("t", region="eu").base_url == "https://api.eu.intercom.io"
    assert IntercomClient("t", region="au").base_url == "https://api.au.intercom.io"
    assert IntercomClient("t").base_url == "https://api.intercom.io"
    assert IntercomClient("t", region="eu", base_url="http://x/").base_url == "http://x"
    with pytest.raises(ValueError, match="region"):
        IntercomClient("t", region="mars")


# -- pagination families ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.9", "2.16"])
def test_cursor_list_visits_every_contact_and_conversation_once(
    emu: RunningEmulator, version: str
) -> None:
    with client_for(emu, api_version=version) as client:
        contacts = ids_of(client.iter_cursor_pages("/contacts", items_key="data", per_page=7))
        conversations = ids_of(
            client.iter_cursor_pages("/conversations", items_key="conversations", per_page=4)
        )
    assert len(contacts) == len(set(contacts))
    assert set(contacts) == set(emu.world.contacts.ids())
    assert len(conversations) == len(set(conversations))
    assert set(conversations) == set(emu.world.conversations.ids())


@pytest.mark.parametrize(
    ("version", "path", "items_key", "entity"),
    [
        ("2.9", "/contacts/search", "data", "contacts"),
        ("2.16", "/contacts/search", "data", "contacts"),
        ("2.9", "/conversations/search", "conversations", "conversations"),
        ("2.16", "/conversations/search", "conversations", "conversations"),
        ("2.16", "/tickets/search", "tickets", "tickets"),
    ],
)
def test_search_visits_every_record_once(
    emu: RunningEmulator, version: str, path: str, items_key: str, entity: str
) -> None:
    query = {"field": "updated_at", "operator": ">", "value": 0}
    sort = {"field": "updated_at", "order": "ascending"}
    with client_for(emu, api_version=version) as client:
        found = ids_of(client.iter_search(path, query, items_key=items_key, sort=sort, per_page=6))
        assert client.stats.by_status.keys() == {200}
    store = getattr(emu.world, entity)
    assert len(found) == len(set(found))
    assert set(found) == set(store.ids())


def test_numbered_pages_visit_every_company_once(emu: RunningEmulator) -> None:
    with client_for(emu) as client:
        found = ids_of(client.iter_numbered_pages("/companies", items_key="data", per_page=4))
    assert len(found) == len(set(found))
    assert set(found) == set(emu.world.companies.ids())


def test_numbered_pages_of_the_deletion_feed(emu: RunningEmulator) -> None:
    with client_for(emu) as client:
        found = ids_of(
            client.iter_numbered_pages(
                "/conversations/deleted", items_key="conversations", per_page=2
            )
        )
    assert len(found) == len(set(found))
    assert set(found) == set(emu.world.deleted_conversations)


def test_scroll_visits_every_company(emu: RunningEmulator) -> None:
    emu.control.update({"scroll_page_size": 3})
    with client_for(emu) as client:
        found = ids_of(client.iter_scroll())
    assert len(found) == len(set(found))
    assert set(found) == set(emu.world.companies.ids())


def test_scroll_waits_out_a_scroll_already_open(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.control.update({"scroll_page_size": 5, "scroll_ttl_seconds": 0.5})
    # Someone else opened a scroll and abandoned it: Intercom allows one per workspace.
    opened = httpx.get(emu.url("/companies/scroll"), headers=emu.headers())
    assert opened.status_code == 200
    caplog.set_level(logging.INFO, logger="intercom_sync")
    with client_for(emu, scroll_wait_s=0.2) as client:
        found = ids_of(client.iter_scroll())
    assert served(emu, 400) >= 1
    assert any("scroll_exists" in r.getMessage() for r in caplog.records)
    assert set(found) == set(emu.world.companies.ids())


# -- get_many -------------------------------------------------------------------------------------


def test_get_many_returns_every_item_and_none_for_404(emu: RunningEmulator) -> None:
    conversation_ids = list(emu.world.conversations.ids())
    paths = [f"/conversations/{cid}" for cid in conversation_ids]
    missing = ["/conversations/999999999", "/conversations/999999998"]
    with client_for(emu, max_concurrency=4) as client:
        results = list(client.get_many(iter(paths + missing)))
    assert sorted(path for path, _ in results) == sorted(paths + missing)
    bodies = dict(results)
    for path in missing:
        assert bodies[path] is None
    for cid, path in zip(conversation_ids, paths, strict=True):
        assert bodies[path]["id"] == cid
        assert "conversation_parts" in bodies[path]


def _open_connections_to(emu: RunningEmulator) -> int:
    """Established TCP connections whose remote end is the emulator (the client's ends)."""
    port = f"{urlsplit(emu.base_url).port:04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[2].endswith(f":{port}") and row[3] == "01")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_close_ends_the_connections_of_every_thread(
    emu: RunningEmulator,
) -> None:
    paths = [f"/contacts/{cid}" for cid in emu.world.contacts.ids()]
    client = client_for(emu, max_concurrency=6)
    try:
        assert len(list(client.get_many(paths))) == len(paths)
        client.get("/me")  # and this thread's own
        assert _open_connections_to(emu) >= 3
    finally:
        client.close()
    assert _open_connections_to(emu) == 0


def test_the_threads_and_clients_of_a_process_share_one_tls_context(
    emu: RunningEmulator,
) -> None:
    """Each thread's httpx client would otherwise load the CA bundle again (~0.9 MB and ~16 ms
    of CPU each: a sync has ~70 threads), and so would each sync's client."""
    paths = [f"/contacts/{cid}" for cid in emu.world.contacts.ids()]
    contexts = set()
    for _ in range(2):
        with client_for(emu, max_concurrency=6) as client:
            list(client.get_many(paths))
            contexts |= {id(http._transport._pool._ssl_context) for http in client._http_clients}
            assert len(client._http_clients) >= 3
    assert len(contexts) == 1


def test_get_many_propagates_errors_other_than_not_found(emu: RunningEmulator) -> None:
    paths = [f"/contacts/{cid}" for cid in emu.world.contacts.ids()]
    with (
        IntercomClient("not-the-token", base_url=emu.base_url, max_concurrency=3) as client,
        pytest.raises(AuthError),
    ):
        list(client.get_many(paths))


# -- rate limits ----------------------------------------------------------------------------------


def test_pacing_keeps_a_concurrent_run_under_a_small_rate_limit(emu: RunningEmulator) -> None:
    # 40 per window: the run spans at most one window boundary; 2 s windows, not Intercom's
    # 10, so that waiting for the boundary takes 2 s at most (the pacer reads the headers).
    emu.control.update({"rate_limit": 40, "rate_limit_window_seconds": 2})
    paths = [f"/contacts/{cid}" for cid in list(emu.world.contacts.ids())[:60]]
    paths += ["/me"] * (60 - len(paths))
    with client_for(emu, max_concurrency=4) as client:
        results = list(client.get_many(paths))
        assert len(results) == 60 and all(body is not None for _, body in results)
        assert client.stats.rate_limited <= 1
    assert served(emu, 429) == client.stats.rate_limited


def test_a_429_waits_for_the_reset_before_retrying(emu: RunningEmulator) -> None:
    # 2 s windows, not Intercom's 10: the same wait for the reset, on a shorter clock
    emu.control.update({"rate_limit": 3, "rate_limit_window_seconds": 2})
    # Another client spends this window's budget (until it is refused itself).
    while httpx.get(emu.url("/me"), headers=emu.headers()).status_code != 429:
        pass
    # With max_retries=2 and a 10 ms backoff, a retry before the reset would be refused
    # again and again: only honouring Reset − Date gets through.
    with client_for(emu, max_retries=2) as client:
        assert client.get("/me")["id"] == emu.world.me["id"]
        # 1, unless the window happened to roll over right after the budget was spent
        assert client.stats.rate_limited <= 1
        assert client.stats.retries == client.stats.rate_limited


# -- faults -----------------------------------------------------------------------------------

ALL_UPDATED = {"field": "updated_at", "operator": ">", "value": 0}
ASCENDING = {"field": "updated_at", "order": "ascending"}


def search_conversations(client: IntercomClient) -> list[str]:
    return ids_of(
        client.iter_search(
            "/conversations/search",
            ALL_UPDATED,
            items_key="conversations",
            sort=ASCENDING,
            per_page=5,
        )
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_incl_html_pages_are_retried(
    emu: RunningEmulator, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    emu.control.update(
        {"faults": {"error_rate": 0.35, "error_statuses": [status], "html_error_share": 1.0}}
    )
    caplog.set_level(logging.INFO, logger="intercom_sync")
    with client_for(emu) as client:
        found = search_conversations(client)
        retries = client.stats.retries
    assert sorted(found) == sorted(emu.world.conversations.ids())
    assert served(emu, status) >= 1
    assert retries == served(emu, status)
    if status != 500:  # gateway errors come as HTML pages
        assert any("<html>" in r.getMessage() for r in caplog.records)


def test_malformed_json_in_a_200_is_retried(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.control.update({"faults": {"malformed_rate": 0.35}})
    caplog.set_level(logging.INFO, logger="intercom_sync")
    with client_for(emu) as client:
        found = ids_of(client.iter_cursor_pages("/contacts", items_key="data", per_page=10))
        assert client.stats.retries >= 1
        assert client.stats.by_status.keys() == {200}
    assert sorted(found) == sorted(emu.world.contacts.ids())
    # the retry names what came back: the start of the broken body
    retried = [r.getMessage() for r in caplog.records if "not JSON" in r.getMessage()]
    assert retried and all("(empty body)" not in m and '{"' in m for m in retried)


def test_a_parsed_body_is_not_kept_until_the_garbage_collector_runs(
    emu: RunningEmulator,
) -> None:
    """httpx's response and its stream refer to each other: a body kept on the response
    lives as long as that cycle, i.e. until the cyclic collector runs (a contacts page is
    ~350 KB). With the collector off, no successful response may still hold its body."""
    gc.collect()
    gc.disable()
    try:
        with client_for(emu) as client:
            pages = list(client.iter_cursor_pages("/contacts", items_key="data", per_page=50))
            client.get("/me")
            responses = [o for o in gc.get_objects() if isinstance(o, httpx.Response)]
            kept = [r for r in responses if r.is_success and hasattr(r, "_content")]
    finally:
        gc.enable()
    assert sum(map(len, pages)) == len(emu.world.contacts.ids())
    assert responses  # the cycles are there (so this test can see a kept body)…
    assert kept == []  # …but none holds its body


def test_dropped_connections_are_retried(emu: RunningEmulator) -> None:
    emu.control.update({"faults": {"drop_rate": 0.35}})
    with client_for(emu) as client:
        found = ids_of(client.iter_numbered_pages("/companies", items_key="data", per_page=5))
        assert client.stats.transport_errors >= 1
        assert client.stats.retries == client.stats.transport_errors
    assert sorted(found) == sorted(emu.world.companies.ids())


def test_timeouts_are_retried(emu: RunningEmulator) -> None:
    emu.control.update({"faults": {"timeout_rate": 0.3, "timeout_seconds": 1.0}})
    with client_for(emu, timeout=0.25) as client:
        found = search_conversations(client)
        assert client.stats.transport_errors >= 1
        assert client.stats.retries == client.stats.transport_errors
    assert sorted(found) == sorted(emu.world.conversations.ids())


def test_get_many_survives_faults_on_concurrent_fetches(emu: RunningEmulator) -> None:
    emu.control.update(
        {"faults": {"GET /conversations/{id}": {"drop_rate": 0.2, "error_rate": 0.2}}}
    )
    ids = list(emu.world.conversations.ids())
    with client_for(emu, max_concurrency=6) as client:
        bodies = dict(client.get_many(f"/conversations/{cid}" for cid in ids))
        assert client.stats.retries >= 1
    assert {body["id"] for body in bodies.values() if body} == set(ids)


def test_retries_exhausted_raise_api_unavailable_naming_endpoint_and_cause(
    emu: RunningEmulator,
) -> None:
    emu.control.update({"faults": {"GET /me": {"error_rate": 1.0, "error_statuses": [503]}}})
    with client_for(emu, max_retries=3) as client, pytest.raises(ApiUnavailableError) as info:
        client.get("/me")
    assert served(emu, 503) == 4
    message = str(info.value)
    assert emu.base_url in message and "GET /me" in message and "503" in message


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"scroll_error_rate": 1.0}, 500),  # Intercom's "restart the scroll" 500
        ({"scroll_expire_rate": 1.0}, 404),  # expired between pages
        ({"drop_rate": 1.0}, None),  # the page was served (position moved), never arrived
        ({"error_rate": 1.0, "error_statuses": [503]}, 503),
    ],
)
def test_scroll_restarts_after_failures_and_misses_nothing(
    emu: RunningEmulator, fault: dict, status: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    emu.control.update({"scroll_page_size": 6, "scroll_ttl_seconds": 0.3})
    caplog.set_level(logging.INFO, logger="intercom_sync")
    with client_for(emu, scroll_wait_s=0.1, scroll_max_restarts=50) as client:
        pages = client.iter_scroll()
        found = ids_of([next(pages), next(pages)])
        # Every scroll request fails for a moment, in the middle of the scroll.
        emu.control.update({"faults": {"GET /companies/scroll": fault}})
        heal = threading.Timer(0.4, emu.control.update, args=({"faults": None},))
        heal.start()
        try:
            found += ids_of(pages)
        finally:
            heal.join()
    assert set(found) == set(emu.world.companies.ids())
    assert any("restarting" in r.getMessage() for r in caplog.records)
    if status is not None:
        assert served(emu, status) >= 1


def test_the_token_never_appears_in_logs_or_errors(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, httpx/httpcore included
    emu.control.update({"faults": {"error_rate": 0.3, "drop_rate": 0.2, "malformed_rate": 0.2}})
    texts = []
    with client_for(emu, max_retries=20) as client:
        search_conversations(client)
        texts.append(repr(client))
        with pytest.raises(NotFoundError) as missing:
            client.get("/contacts/000000000000000000000000")
        texts += [str(missing.value), repr(missing.value)]
    emu.control.update({"faults": {"GET /me": {"error_rate": 1.0}}})
    with client_for(emu, max_retries=1) as client, pytest.raises(ApiUnavailableError) as down:
        client.get("/me")
    texts += [str(down.value), repr(down.value)]
    emu.control.update({"faults": None, "revoked_tokens": [emu.token]})
    try:
        with client_for(emu) as client, pytest.raises(AuthError) as revoked:
            client.get("/me")
    finally:
        emu.control.update({"revoked_tokens": []})
    texts += [str(revoked.value), repr(revoked.value)]
    assert len(caplog.records) > 10  # the run did log (retries, httpx requests)
    assert all(emu.token not in text for text in texts)
    assert emu.token not in caplog.text
    for record in caplog.records:
        assert emu.token not in record.getMessage()
