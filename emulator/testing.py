"""Run the emulator in-process for tests: uvicorn in a background thread on a free port.

    from emulator.testing import running_emulator
    from emulator.world import WorldConfig

    with running_emulator(WorldConfig(seed=3, scale="tiny"), api_version="2.16") as emu:
        httpx.get(f"{emu.base_url}/me", headers=emu.headers())
        emu.advance(3600)             # activity.advance under the server's lock
        emu.control.update({"rate_limit": 5})

Any other keyword is a `emulator.http.control.Settings` field (index_lag_seconds,
mutate_during_pagination, latency_jitter_ms, scroll_ttl_seconds, …).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from emulator.http.app import create_app
from emulator.http.control import Control, Settings
from emulator.world import World, WorldConfig
from emulator.world.activity import advance
from emulator.world.generate import generate_world

DEFAULT_TEST_TOKEN = "test-token"


class RunningEmulator:
    """Handle on a live server: `base_url`, `token`, `world`, `control` (+ small helpers)."""

    def __init__(self, control: Control, base_url: str) -> None:
        self.control = control
        self.base_url = base_url

    @property
    def token(self) -> str:
        return self.control.token

    @property
    def api_version(self) -> str:
        """The version served to requests without an Intercom-Version header."""
        return self.control.settings.default_version

    @property
    def world(self) -> World:
        return self.control.world  # the live world (replaced by POST /_emulator/reset)

    def headers(self, version: str | None = None) -> dict[str, str]:
        """Headers a well-behaved client sends (token, Accept, optional Intercom-Version)."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if version is not None:
            headers["Intercom-Version"] = version
        return headers

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def advance(self, seconds: int, intensity: float = 1.0) -> dict[str, int]:
        with self.control.lock:
            return advance(self.world, seconds, intensity)

    def __repr__(self) -> str:  # never show the token
        return f"RunningEmulator({self.base_url})"


def build_control(
    world_or_config: World | WorldConfig,
    *,
    api_version: str = "2.16",
    token: str = DEFAULT_TEST_TOKEN,
    rate_limit: int | None = None,
    latency_ms: float = 0,
    faults: dict[str, Any] | None = None,
    **settings: Any,
) -> Control:
    world = (
        world_or_config if isinstance(world_or_config, World) else generate_world(world_or_config)
    )
    config = Settings(
        default_version=api_version,
        rate_limit=rate_limit,
        latency_ms=latency_ms,
        faults=faults,
        **settings,
    )
    return Control(world, token=token, seed=world.cfg.seed, settings=config)


@contextlib.contextmanager
def running_emulator(
    world_or_config: World | WorldConfig | None = None,
    *,
    api_version: str = "2.16",
    token: str = DEFAULT_TEST_TOKEN,
    rate_limit: int | None = None,
    latency_ms: float = 0,
    faults: dict[str, Any] | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    **settings: Any,
) -> Iterator[RunningEmulator]:
    """Serve a world (or a freshly generated one) until the block exits."""
    control = build_control(
        world_or_config if world_or_config is not None else WorldConfig(),
        api_version=api_version,
        token=token,
        rate_limit=rate_limit,
        latency_ms=latency_ms,
        faults=faults,
        **settings,
    )
    with serve_in_thread(control, host=host, port=port) as base_url:
        yield RunningEmulator(control, base_url)


@contextlib.contextmanager
def serve_in_thread(control: Control, *, host: str, port: int) -> Iterator[str]:
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # TCP; with proto 0 every small response stalls ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(control, host=host, port=bound_port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="intercom-emulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
            raise RuntimeError("the emulator failed to start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        # Stopped serving at once: the listening socket closed and open connections shut
        # down, in the server's own thread. uvicorn's exit itself (it looks at the flag every
        # 0.1 s, then waits another 0.1 s) runs on in the background: waiting for it cost every
        # test that starts an emulator 0.2 s, and hundreds do.
        server.should_exit = True
        loop = server.servers[0].get_loop()
        asyncio.run_coroutine_threadsafe(_stop_serving(server), loop).result(timeout=10)


async def _stop_serving(server: uvicorn.Server) -> None:
    for listener in server.servers:
        listener.close()
    for connection in list(server.server_state.connections):
        connection.shutdown()  # closes an idle keep-alive connection, ends a busy one after


def server_config(control: Control, *, host: str, port: int, log_level: str = "warning"):
    """uvicorn settings: no `Server`/`Date` headers of its own (ours carries the data clock)."""
    return uvicorn.Config(
        create_app(control),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        date_header=False,
        lifespan="off",
        access_log=False,
    )
