"""The test side of `cli_forkserver`: one server per test process, started on first use."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

CLI_MODE_VAR = "INTERCOM_SYNC_TEST_CLI"  # "subprocess": no fork server
REPO = Path(__file__).resolve().parents[2]


class ForkServer:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "INTERCOM_"))}
        env["PYTHONPATH"] = str(REPO)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.cli_forkserver"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._outputs = Path(tempfile.mkdtemp(prefix="intercom-sync-cli-"))
        self._pending = b""
        self._lock = threading.Lock()
        self._count = 0

    def run(
        self, command: list[str], cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        with self.started(command, cwd, env) as child:
            returncode = child.wait(timeout)
            if returncode is None:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(None)
                raise subprocess.TimeoutExpired(command, timeout)
            return subprocess.CompletedProcess(command, returncode, *child.output())

    @contextlib.contextmanager
    def started(self, command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Child]:
        """A child running `command` (`python -m pipelines.cli …`), for a caller that acts
        while it runs (e.g. kills it); waited for on leaving. One child at a time."""
        with self._lock:
            self._count += 1
            out = self._outputs / f"{self._count}.out"
            err = self._outputs / f"{self._count}.err"
            request = {
                "argv": command[3:],
                "env": env,
                "cwd": str(cwd),
                "stdout": str(out),
                "stderr": str(err),
            }
            self._send(request)
            child = Child(self, self._reply(deadline=None)["pid"], out, err)
            try:
                yield child
            finally:
                if child.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child.pid, signal.SIGKILL)
                    child.wait(None)
                out.unlink(missing_ok=True)
                err.unlink(missing_ok=True)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=30)
        shutil.rmtree(self._outputs, ignore_errors=True)

    def _send(self, request: dict) -> None:
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()

    def _reply(self, deadline: float | None) -> dict | None:
        """The next reply line, or None once `deadline` (monotonic) has passed."""
        fd = self._process.stdout.fileno()
        while b"\n" not in self._pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the CLI fork server ended (exit {self._process.wait()})")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)


class Child:
    """A command the server forked: its pid, and its exit code once it has ended."""

    def __init__(self, server: ForkServer, pid: int, out: Path, err: Path) -> None:
        self._server, self.pid, self._out, self._err = server, pid, out, err
        self.returncode: int | None = None

    def wait(self, timeout: float | None) -> int | None:
        """The exit code; None if the child still runs after `timeout` seconds (0: a poll)."""
        if self.returncode is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            reply = self._server._reply(deadline)
            if reply is not None:
                self.returncode = reply["returncode"]
        return self.returncode

    def output(self) -> tuple[str, str]:
        """What the child wrote to stdout and stderr."""
        return self._out.read_text(), self._err.read_text()


_server: ForkServer | None = None
_server_pid: int | None = None


def fork_server() -> ForkServer:
    """This process's server (a process forked by a test gets its own)."""
    global _server, _server_pid
    if _server is None or _server_pid != os.getpid():
        _server, _server_pid = ForkServer(), os.getpid()
        atexit.register(_server.close)
    return _server
