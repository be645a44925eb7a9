"""A record updated twice within one second, with a sync reading it between the two updates:
Intercom's `updated_at` has one-second granularity, so both versions carry the same value.
The second version must still reach the warehouse (at the latest on the run after next)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig, ops
from tests.convergence.harness import InProcessSync

FIELD = {"contacts": "name", "companies": "name", "conversations": "title"}


def _change(emu, entity: str, id_: str, value: str) -> None:
    with emu.control.lock:
        store = getattr(emu.world, entity)
        record = ops.editable(store, id_)
        record[FIELD[entity]] = value
        ops.save(store, record, emu.world.now)  # updated_at = now: the data clock is frozen


@pytest.mark.parametrize("entity", sorted(FIELD))
def test_second_update_in_the_same_second_is_loaded(entity: str, tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=9, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path)
        sync()
        id_ = getattr(emu.world, entity).ids_by_updated_at()[0]  # an old, settled record
        _change(emu, entity, id_, "first version")
        sync()
        _change(emu, entity, id_, "second version")  # same second as the first
        sync()
        sync()  # allowed: one extra run
        loaded = {str(r["id"]): r for r in sync.read(entity)}
        assert loaded[id_][FIELD[entity]] == "second version"
