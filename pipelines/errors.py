"""Errors the CLI turns into one-line messages and exit codes."""

from __future__ import annotations

from pipelines.exit_codes import ExitCode


class SyncError(Exception):
    """An error with a user-facing message and the exit code that goes with it."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(SyncError):
    exit_code = ExitCode.CONFIG
