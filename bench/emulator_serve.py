"""Records served per second by the emulator's list and search endpoints (not a test).

    .venv/bin/python -m bench.emulator_serve                  # medium scale (~10 s to start)
    .venv/bin/python -m bench.emulator_serve --scale small --pages 30
    .venv/bin/python -m bench.emulator_serve --isolated    # world reset before each scenario

The server runs in its own process (`python -m emulator serve`, one uvicorn worker, so one
core); this process is the client. Each scenario follows cursors for `--pages` pages of 150
records, twice: `cold` (first parse/match/render of every record) and `warm` (memoised matches,
render cache). Scenarios share one server, so a scenario's cold pass may meet records an
earlier one rendered (the contact list and search both start with old contacts); `--isolated`
resets the world (`POST /_emulator/reset`: a clone of the pristine world, all caches dropped)
before each scenario, so every cold pass is a fresh server's. Two rates per pass:
- `*_server_cpu`: records per second of server CPU time (user+sys of the server process) —
  what one core serves; the issue's goal is >= 50,000 records/s, cold (what a full sync
  sees) as well as warm.
- `*_wall`: records per second seen by this single sequential client (includes its own
  receive time and the loopback).
The client does not parse pages: it reads the next cursor from the envelope's tail (`pages` is
the last key) and counts a full page as `per_page` records.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

TOKEN = "bench-token"
DAY = 86_400
PER_PAGE = 150
_NEXT = re.compile(rb'"starting_after":"([^"]+)"')


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(scale: str, seed: int) -> tuple[subprocess.Popen, str]:
    command = [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--port",
        "0",
        "--scale",
        scale,
        "--seed",
        str(seed),
        "--token",
        TOKEN,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip().removeprefix("base_url: ")
    process.stdout.readline()  # the token line
    return process, base_url


def follow(
    request: Callable[[str | None], httpx.Response], key: str, pages: int
) -> tuple[int, float]:
    """(records, seconds) for up to `pages` pages following `pages.next.starting_after`."""
    records, cursor = 0, None
    started = time.perf_counter()
    for _ in range(pages):
        response = request(cursor)
        response.raise_for_status()
        found = _NEXT.search(response.content[-600:])
        if found is None:  # the last page: count its records exactly
            records += len(orjson.loads(response.content)[key])
            break
        records += PER_PAGE
        cursor = found.group(1).decode()
    return records, time.perf_counter() - started


def scenarios(http: httpx.Client, now: int) -> dict[str, tuple[Callable, str]]:
    def get_list(path: str) -> Callable:
        return lambda cursor: http.get(
            path, params={"per_page": PER_PAGE, **({"starting_after": cursor} if cursor else {})}
        )

    def search(path: str, since: int) -> Callable:
        def request(cursor: str | None) -> httpx.Response:
            pagination: dict[str, Any] = {"per_page": PER_PAGE}
            if cursor:
                pagination["starting_after"] = cursor
            return http.post(
                path,
                json={
                    "query": {"field": "updated_at", "operator": ">", "value": since},
                    "sort": {"field": "updated_at", "order": "ascending"},
                    "pagination": pagination,
                },
            )

        return request

    return {
        "GET /contacts": (get_list("/contacts"), "data"),
        "GET /conversations": (get_list("/conversations"), "conversations"),
        "POST /contacts/search (all)": (search("/contacts/search", 0), "data"),
        "POST /contacts/search (last 30 days)": (
            search("/contacts/search", now - 30 * DAY),
            "data",
        ),
        "POST /conversations/search (all)": (search("/conversations/search", 0), "conversations"),
        "POST /tickets/search (all)": (search("/tickets/search", 0), "tickets"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=100, help="pages per scenario and pass")
    parser.add_argument(
        "--isolated", action="store_true", help="reset the world before each scenario"
    )
    parser.add_argument("--api-version", default=None, help="Intercom-Version to ask for")
    args = parser.parse_args()
    started = time.perf_counter()
    process, base_url = start_server(args.scale, args.seed)
    print(json.dumps({"scale": args.scale, "startup_s": round(time.perf_counter() - started, 1)}))
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    if args.api_version:
        headers["Intercom-Version"] = args.api_version
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=120) as http:
            now = httpx.get(f"{base_url}/_emulator/clock").json()["now"]
            for name, (request, key) in scenarios(http, now).items():
                if "tickets" in name and args.api_version == "2.9":
                    continue  # no ticket search before 2.10
                if args.isolated:
                    httpx.post(f"{base_url}/_emulator/reset", timeout=600).raise_for_status()
                row: dict[str, Any] = {"scenario": name}
                for run in ("cold", "warm"):
                    cpu_before = cpu_seconds(process.pid)
                    records, seconds = follow(request, key, args.pages)
                    cpu = max(cpu_seconds(process.pid) - cpu_before, 1e-3)
                    row[f"{run}_server_cpu"] = round(records / cpu)
                    row[f"{run}_wall"] = round(records / seconds)
                    row["records"] = records
                print(json.dumps(row), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
