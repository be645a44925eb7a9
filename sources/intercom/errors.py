"""Errors raised by the Intercom client.

Every error subclasses `IntercomError`. Messages say what went wrong *and* what to do about
it, and never contain the access token (the client redacts it before building a message).
"""

from __future__ import annotations


class IntercomError(Exception):
    """Base class of everything the Intercom source raises on purpose."""


class AuthError(IntercomError):
    """401/403: the token is wrong, revoked, lacks a scope, or belongs to another region."""

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class IntercomApiError(IntercomError):
    """A non-retryable error answer from Intercom (4xx other than 401/403/429)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None,
        api_message: str | None,
        method: str,
        path: str,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.api_message = api_message
        self.method = method
        self.path = path
        self.request_id = request_id


class NotFoundError(IntercomApiError):
    """404, or 410 for a merged contact (2.16): the record does not exist (any more)."""


class ApiVersionError(IntercomApiError):
    """400 `intercom_version_invalid`: the endpoint does not exist in the pinned API version."""


class ApiUnavailableError(IntercomError):
    """Retries exhausted on 5xx / 429 / timeouts / connection errors / malformed bodies."""

    def __init__(self, message: str, *, method: str, path: str, attempts: int) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.attempts = attempts


class PaginationError(IntercomError):
    """The API broke a pagination promise (e.g. a cursor that does not advance)."""


class UnexpectedShapeError(IntercomError):
    """A list object holds its items under another key than the one Intercom really uses.

    Raised instead of guessing which list is meant (or loading none): a shape change must stop
    the run loudly, never decide silently which rows land."""
