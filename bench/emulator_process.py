"""The emulator as a separate server process, so its CPU is measured apart from the sync's."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx

TOKEN = "bench-token"  # a fixed local credential for the emulator, not a secret
# Scenario (a) is "no rate limit": the emulator then still reports a nominal 1,666 limit in
# its headers and the client paces itself on them, so "unlimited" is a budget no run reaches.
UNLIMITED = 100_000_000


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class EmulatorProcess:
    process: subprocess.Popen
    base_url: str

    @classmethod
    def start(
        cls,
        *,
        scale: str,
        seed: int,
        rate_limit: int | None,
        latency_ms: float,
        counts: dict[str, int] | None = None,
    ) -> EmulatorProcess:
        command = [sys.executable, "-m", "emulator", "serve", "--port", "0"]
        command += ["--scale", scale, "--seed", str(seed), "--token", TOKEN]
        command += ["--rate-limit", str(rate_limit or UNLIMITED)]
        command += ["--latency-ms", str(latency_ms)]
        for name, value in (counts or {}).items():
            command += [f"--{name}", str(value)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("base_url: "):
            process.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        process.stdout.readline()  # the token line (ours, not echoed)
        return cls(process, line.removeprefix("base_url: "))

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.base_url}/_emulator/{path}", timeout=600, **kwargs)
        response.raise_for_status()
        return response

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "stats").json()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def served(before: dict[str, Any], after: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    """(requests, 429s, requests per endpoint) served between two `/_emulator/stats` snapshots."""
    total = 0
    limited = 0
    per_endpoint: dict[str, int] = {}
    old = before.get("endpoints", {})
    for endpoint, statuses in after.get("endpoints", {}).items():
        if endpoint.startswith("/_emulator"):
            continue
        for status, n in statuses.items():
            delta = n - old.get(endpoint, {}).get(status, 0)
            if delta <= 0:
                continue
            total += delta
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + delta
            if status == "429":
                limited += delta
    return total, limited, per_endpoint
