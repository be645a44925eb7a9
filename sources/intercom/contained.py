"""One endpoint that exhausts its retries ends its own resource, not the whole run.

dlt aborts the extraction at the first exception any resource raises, so a
`GET /conversations/{id}` failing for good threw away what the other resources had read
(contacts included). With a `ResourceFailures` given to the source, each merged resource
runs inside `contain`: an `ApiUnavailableError` ends that resource only, it is recorded, and
its resource state is put back as the run found it, so its cursor does not move and the
next run reads the same window again. What it had already yielded is complete records,
upserted on `id`: loading them twice is harmless. The other resources load and advance.

The replaced resources (`settings.REPLACED_RESOURCES`: the lookups and the content lists)
cannot end that way: dlt empties a replace table whose resource yields nothing, so one that
failed mid-extraction would wipe its table. They are read first instead
(`read_lookups_first`, before the run starts, through `Workspace.pages`): one out of
retries is recorded and deselected, so dlt never touches its tables, which stay as the last
good run left them. Its reads are remembered failed (`Workspace`), so what is typed from
them (contacts and companies from the data attribute definitions, tickets from the ticket
types) fails too, keeping its cursor, rather than loading columns of guessed types.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dlt.sources import DltResource, DltSource

from sources.intercom.dlt_compat import wrap_generator
from sources.intercom.errors import ApiUnavailableError
from sources.intercom.workspace import Workspace

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
    wrap_generator(resource, lambda read: _guarded(resource.name, read, failures))


def read_lookups_first(source: DltSource, workspace: Workspace, failures: ResourceFailures) -> None:
    """Read the selected replaced resources (lookups, content lists) of `source` before it
    runs; deselect (and record) each one whose requests exhausted their retries. Their
    resources then yield what was read."""
    for name, resource in source.selected_resources.items():
        if name not in workspace.replaced():
            continue
        try:
            workspace.pages(name)
        except ApiUnavailableError as exc:
            resource.selected = False  # dlt leaves its tables alone
            failures.add(name, str(exc))
            logger.error("%s failed and keeps its table; the others load: %s", name, exc)


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
