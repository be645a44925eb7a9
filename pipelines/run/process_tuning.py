"""Process settings for a sync: fewer garbage-collector passes, fewer malloc arenas.

**GC.** A sync allocates millions of short-lived objects (parsed JSON pages, rows), none of them in
reference cycles: reference counting frees them. Python's cyclic collector still runs every 700
allocations and, with dlt's and the pages' objects alive, each pass scans a lot: measured on
30,000 contacts, it was a quarter of the sync's CPU (parsing alone: 27 → 7 ms per 1,000 contacts
without it). So while a sync runs, the objects that exist before it (imports, configuration)
are frozen out of the collector's sight and a pass needs 100,000 allocations. Measured on the
1M-contact sync (CPU per 1,000 contacts / peak RSS): a pass per 50,000 allocations 102.8 ms /
469 MB, per 100,000 96.5 ms / 478 MB, per 200,000 89.9 ms / 496 MB. The memory target is
500 MB, so the middle keeps a margin. Collection stays on: httpx leaves a reference cycle per
request (response and stream).
"""

from __future__ import annotations

import ctypes
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_GC_THRESHOLD = (100_000, 50, 100)
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter

log = logging.getLogger("intercom_sync")


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Within the block: older objects frozen, collection thresholds raised; restored after."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*SYNC_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (like `MALLOC_ARENA_MAX`). glibc gives threads that allocate
    arenas of their own, up to 8 per core; a sync's page and detail threads then leave freed
    memory spread over many arenas, which the process keeps. Measured on 60,000 contacts:
    extract peak 300 -> 261 MB. Call before the sync starts its threads; False where glibc's
    `mallopt` is not available (other C libraries: nothing to do)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        log.debug("mallopt unavailable: malloc arenas left as they are")
        return False
