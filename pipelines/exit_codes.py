"""Exit codes of `intercom-sync`, documented in the README (one place for each code)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1  # a bug or an unclassified failure: the message says what happened
    CONFIG = 2  # bad arguments or configuration (token missing, bad date, unknown resource …)
    AUTH = 3  # Intercom refused the token (401/403)
    API_UNAVAILABLE = 4  # Intercom (or the base URL) could not be reached after all retries
    PARTIAL = 5  # some data was extracted but a load job failed; state was not advanced
    LOCKED = 6  # another run of the same pipeline holds the lock
    DESTINATION_UNAVAILABLE = 7  # the destination refused or failed before anything was extracted
    # some resources exhausted their retries and keep their cursor; the others loaded
    RESOURCES_FAILED = 8
    INTERRUPTED = 130  # Ctrl-C / SIGINT (the shell convention); the next run resumes safely
    OUTPUT_CLOSED = 141  # stdout closed by its reader (`| head`; 128 + SIGPIPE): output cut short
    TERMINATED = 143  # SIGTERM (128 + 15, the shell convention); the next run resumes safely
