"""Fewer garbage-collector passes while a sync runs.

A sync allocates millions of short-lived objects (parsed JSON pages, rows), none of them in
reference cycles: reference counting frees them. Python's cyclic collector still runs every 700
allocations and, with dlt's and the pages' objects alive, each pass scans a lot: measured on
30,000 contacts, it was a quarter of the sync's CPU (parsing alone: 27 → 7 ms per 1,000 contacts
without it). So while a sync runs, the objects that exist before it (imports, configuration)
are frozen out of the collector's sight and a pass needs 50,000 allocations.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_GC_THRESHOLD = (50_000, 50, 100)


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
