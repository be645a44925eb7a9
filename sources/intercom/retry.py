"""The one retry policy of the Intercom client: what is transient, and how long to back off.

A small explicit loop in `client.py` applies it (rather than tenacity) because three kinds
of waiting interact there: exponential backoff for transient failures, the rate-limit
pacer's wait after a 429, and callers (the company scroll) that must not retry a page at
all because a lost answer has already moved the server-side position.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

# Transport failures worth another attempt: nothing reached us, or the answer was cut off.
# (Not httpx.UnsupportedProtocol / LocalProtocolError: those are our bugs, retrying won't help.)
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


# ...except before the host has answered at all: connection refused or a name that does not
# resolve then means a wrong base URL/region or no network, which retrying for minutes (the
# backoff of 8 retries) does not fix. Once the host has answered, they are transient again.
FATAL_BEFORE_FIRST_ANSWER: tuple[type[Exception], ...] = (httpx.ConnectError,)


def is_retryable_status(status: int) -> bool:
    """429 (rate limit or overload), 408 (request timeout) and every 5xx are transient."""
    return status in (408, 429) or 500 <= status <= 599


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0

    def backoff_s(self, retry: int) -> float:
        """Wait before retry number `retry` (1-based): exponential with "equal jitter"
        (half fixed, half random) so concurrent threads do not retry in lockstep."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (retry - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)
