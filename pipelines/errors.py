"""Errors the CLI turns into one-line messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.exit_codes import ExitCode


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps, outermost first: dlt's `PipelineStepFailed`/job exceptions
    (`.exception`), then `__cause__` / `__context__`; each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's timeout, a container stopping), raised like Ctrl-C's
    KeyboardInterrupt so that it takes the same way out: the run is recorded, the lock
    released, and the next run resumes (`cli.main` installs the handler)."""


class SyncError(Exception):
    """An error with a user-facing message and the exit code that goes with it."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(SyncError):
    exit_code = ExitCode.CONFIG
