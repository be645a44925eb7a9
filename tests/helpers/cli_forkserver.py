"""A fork server for `intercom-sync`: one process per test worker that has imported the CLI
(and dlt, DuckDB, pyarrow …) once, and forks a fresh child for every command a test runs.

Starting `python -m pipelines.cli` costs about two CPU seconds of imports before the first line
of our code runs, and the CLI tests start hundreds of them. A forked child is still a separate
process that runs `pipelines.cli.main(argv)` with the test's arguments, environment, working
directory and standard streams, and exits with its exit code: only the imports are shared.
The server itself never runs our code beyond importing it, and it is single-threaded, so
forking it is safe. dlt creates its run context (data folder, `.dlt/` of the working
directory) on first use, not on import, so each child builds its own from its environment.

Protocol (one JSON object per line): the client writes {argv, env, cwd, stdout, stderr}, the
server answers {"pid": …} when the child starts, then {"returncode": …} when it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import sys
import threading
import time
import traceback

from tests.helpers.gc_tuning import collect_garbage_less_often

# Imported once here so that no child pays for them.
PRELOAD = (
    "pipelines.cli",
    "pipelines.run.sync",
    "pipelines.reporting.status",
    "duckdb",
    "pyarrow",
    "pyarrow.parquet",
    "httpx",
    "dlt.destinations.impl.duckdb.factory",
    "dlt.destinations.impl.duckdb.duck",
    "dlt.normalize",
    "dlt.load",
    # Libraries a command imports on first use, not through the modules above (~0.15 s of CPU
    # a child). Only modules that read no configuration on import: dlt's requests helper, for
    # one, builds its client from the environment, so each child still imports it itself.
    "sqlalchemy",  # by dlt's SQL client helpers
    "requests",  # by dlt's requests helper
    "httpcore",  # by httpx's transport, on the first request
    "h11",
    "pluggy",  # dlt's plugin manager
    "pendulum",
    "pytz",  # by `status`
    "dlt.common.libs.pyarrow",
    "dlt.common.libs.sql_alchemy_compat",
)


def _preload() -> None:
    for name in PRELOAD:
        # an optional extra that is not installed: the child meets the ImportError itself
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _run_child(request: dict) -> int:
    """In the forked child: become the command and return its exit code. The caller then exits
    the way `python -m pipelines.cli` would (atexit handlers, waiting for threads)."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # a TZ of the request's environment, as a new process would read it
    devnull = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((devnull, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    # Not the server's read-ahead of requests; open for the rest of the process's life.
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    sys.argv = [sys.argv[0], *request["argv"]]
    try:
        from pipelines.cli import main

        return main(request["argv"])
    except SystemExit as stop:  # argparse's usage errors and --help
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1


def _exit_like_the_interpreter(code: int) -> None:
    """What `python -m` does after `main` returns (wait for threads, run atexit handlers, flush),
    then exit without the C++ static destructors: the server's DuckDB and Arrow libraries
    were loaded before the fork, and their destructors abort in a forked child."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve() -> None:
    _preload()
    collect_garbage_less_often()  # the children inherit it
    assert threading.active_count() == 1, "the fork server must not run threads"
    replies = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        replies.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _exit_like_the_interpreter(_run_child(request))
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


if __name__ == "__main__":
    serve()
