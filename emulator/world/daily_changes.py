"""Changes drawn at daily rates over a span of the data clock: the content and publishing
lists' share of `advance` (each from its own random stream, so that adding a list never
changes what the other streams draw)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
Change = Callable[["World", random.Random, int], object]  # truthy when something changed


def apply_daily_changes(
    world: World,
    stream: str,
    start: int,
    end: int,
    intensity: float,
    per_day: Mapping[str, float],
    changes: Mapping[str, Change],
) -> dict[str, int]:
    """Draw each kind's changes over ``(start, end]`` (``per_day`` × days × intensity, the
    fraction by chance), apply them in time order; counts of what changed, by kind."""
    seconds = end - start
    rng = random.Random(f"{world.cfg.seed}:{stream}:{start}:{end}")
    events = []
    for kind, rate in per_day.items():
        expected = rate * seconds / DAY * intensity
        count = int(expected) + (rng.random() < expected - int(expected))
        events += [(start + 1 + rng.randrange(seconds), kind) for _ in range(count)]
    summary: dict[str, int] = {}
    for at, kind in sorted(events):
        if changes[kind](world, rng, at):
            summary[kind] = summary.get(kind, 0) + 1
    return summary
