"""One endpoint that exhausts its retries ends its own resource, not the whole run.

dlt aborts the extraction at the first exception any resource raises, so a
`GET /conversations/{id}` failing for good threw away what the other resources had read
(contacts included). With a `ResourceFailures` given to the source, each merged resource
runs inside `contain`: an `ApiUnavailableError` ends that resource only, it is recorded, and
its resource state is put back as the run found it, so its cursor does not move and the
next run reads the same window again. What it had already yielded is complete records,
upserted on `id`: loading them twice is harmless. The other resources load and advance.

Not contained: the lookups (`replace` tables). dlt empties a replace table whose resource
yields nothing, so a lookup that failed would wipe its table; such a failure still fails the
run, as every failure does when no `ResourceFailures` is given (a plain dlt pipeline).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dlt.extract.resource import DltResource
from dlt.extract.utils import wrap_parallel_iterator

from sources.intercom.errors import ApiUnavailableError

logger = logging.getLogger("intercom_sync")


class ResourceFailures:
    """The resources that failed in a run, with the one-line reason; thread-safe (dlt runs
    parallelized resources in a thread pool)."""

    def __init__(self) -> None:
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, resource: str, reason: str) -> None:
        with self._lock:
            self._failed.setdefault(resource, reason)

    @property
    def failed(self) -> dict[str, str]:
        with self._lock:
            return dict(self._failed)


def contain(resource: DltResource, failures: ResourceFailures) -> None:
    """Run `resource`'s generator under `_guarded` (inside dlt's parallel wrapper, if any,
    so that the failure is caught in the thread that raises it)."""
    gen = resource._pipe.gen  # dlt has no public accessor for a resource's generator
    inner = getattr(gen, "__wrapped__", None)
    parallel = inner is not None and getattr(gen, "__code__", None) is not None
    parallel = parallel and gen.__code__.co_name == "_gen_wrapper"  # wrap_parallel_iterator's
    guarded = _guarded(resource.name, inner if parallel else gen, failures)
    resource._pipe.replace_gen(wrap_parallel_iterator(guarded) if parallel else guarded)


def _guarded(name: str, read: Any, failures: ResourceFailures) -> Callable[[], Iterator[Any]]:
    def guarded() -> Iterator[Any]:
        state = dlt.current.resource_state(name)
        before = copy.deepcopy(dict(state))
        try:
            yield from (read() if callable(read) else read)
        except ApiUnavailableError as exc:
            state.clear()
            state.update(before)  # the cursor stays where the last good run left it
            failures.add(name, str(exc))
            logger.error("%s failed and keeps its cursor; the others load: %s", name, exc)

    return guarded
