"""The API's `Date` header 15 minutes ahead of, or behind, the clock that stamps `updated_at`
(`date_skew_seconds`): rounds of 10 minutes of activity still converge, records changed a
second time within the second a sync read them included. No cursor or filter may trust the
server clock to the second (docs/clocks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig, ops
from emulator.world.activity import touch
from tests.convergence.harness import InProcessSync
from tests.convergence.scenario import Scenario
from tests.helpers.summary import record

SKEWS = (15 * 60, -15 * 60)
ROUNDS = 2  # the second round starts from the cursor the skewed first one left
ROUND_SECONDS = 10 * 60
# A field the truth compares, per entity changed again in the same second.
FIELD = {"contacts": "name", "companies": "name"}


def _change_again(emu, changed: list[tuple[str, str]], label: str) -> dict[str, str]:
    """Change each record once more at `now` (the data clock is frozen: same `updated_at`)."""
    values = {}
    with emu.control.lock:
        for entity, id_ in changed:
            if entity not in FIELD:
                continue
            store = getattr(emu.world, entity)
            record_ = ops.editable(store, id_)
            record_[FIELD[entity]] = values[id_] = f"{label} {id_}"
            ops.save(store, record_, emu.world.now)
    return values


@pytest.mark.parametrize("skew", SKEWS, ids=["date-15min-ahead", "date-15min-behind"])
def test_rounds_converge_with_the_date_header_skewed(skew: int, tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=12, scale="tiny"), date_skew_seconds=skew) as emu:
        sync = InProcessSync(emu, tmp_path)
        scenario = Scenario(emu, sync, sync.read, seed=12, deletions=False)
        scenario.initial_sync()
        same_second = 0
        for round_ in range(1, ROUNDS + 1):
            changes = emu.advance(ROUND_SECONDS, intensity=3.0)
            assert sum(changes.values()) > 0
            touched = touch(emu.world, 6)  # changed at `now`, the second the sync reads in
            sync()
            # ... and changed again within that second, after the sync read them.
            values = _change_again(emu, touched, f"round {round_}")
            same_second += len(values)
            sync()
            sync()  # a version read within its own second may take one more run
            scenario.check(f"skew {skew:+d} s, round {round_}")
            for entity in FIELD:
                loaded = {str(r["id"]): r[FIELD[entity]] for r in sync.read(entity)}
                for id_, value in values.items():
                    if id_ in loaded:
                        assert loaded[id_] == value, (entity, id_)
        assert same_second > 0
        record(
            f"clock skew {skew:+d} s: {ROUNDS} rounds of {ROUND_SECONDS} s, "
            f"{same_second} same-second changes after a read, {sync.requests} requests"
        )
