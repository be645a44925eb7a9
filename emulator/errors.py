"""Intercom's error envelope and the exception the HTTP layer raises to produce it."""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid

import orjson


class ApiError(Exception):
    """Raised anywhere in a handler; rendered as Intercom's `error.list` envelope."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(message: str = "Resource Not Found", code: str = "not_found") -> ApiError:
    return ApiError(404, code, message)


def parameter_invalid(message: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message)


def version_invalid(message: str = "The requested version could not be found") -> ApiError:
    return ApiError(400, "intercom_version_invalid", message)


def error_body(code: str, message: str, request_id: str | None) -> bytes:
    return orjson.dumps(
        {
            "type": "error.list",
            "request_id": request_id,
            "errors": [{"code": code, "message": message}],
        }
    )


class RequestIds:
    """Deterministic uuid-shaped request ids: the n-th request of a seed always gets the same id,
    so two runs with the same seed produce byte-identical responses."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            n = next(self._counter)
        digest = hashlib.blake2b(f"{self._seed}:{n}".encode(), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))
