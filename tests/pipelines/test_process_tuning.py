"""`process_tuning`: GC thresholds raised inside a sync and restored after; malloc arenas capped."""

from __future__ import annotations

import gc
import platform

import pytest

from pipelines.run.process_tuning import SYNC_GC_THRESHOLD, fewer_gc_passes, limit_malloc_arenas


def test_thresholds_raised_inside_and_restored_even_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_gc_passes():
        assert gc.get_threshold() == SYNC_GC_THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed before the sync is out of sight
        raise RuntimeError("sync failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_during_the_sync_are_still_collected() -> None:
    with fewer_gc_passes():

        class Node:
            pass

        for _ in range(1000):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle: only the collector frees it
        del a, b
        assert gc.collect() >= 2000


def test_malloc_arenas_are_capped_on_glibc() -> None:
    expected = platform.libc_ver()[0] == "glibc"
    assert limit_malloc_arenas() is expected
