"""Comparing what a warehouse loaded with the emulator's truth.

`truth(emu, entity)` (list of the world's truth), `unix(value)` (datetime/int -> Unix seconds),
`by_id(rows)`, `pairs(rows, a, b)`, `mismatches(rows, truth_rows)` (every shared field
compared; [] when the warehouse equals the truth), `settle(emu)` (data clock +1 s).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from emulator.world.activity import advance
from emulator.world.truth import truth_rows
from sources.intercom.parts import UNASSIGNED_AS_ZERO
from sources.intercom.schema import is_id_column
from sources.intercom.settings import CLOCK_SKEW_SECONDS


def truth(emu: Any, entity: str) -> list[dict]:
    """What the warehouse should hold for `entity`, per the emulator world."""
    return list(truth_rows(emu.world, entity))


def unix(value: Any) -> int | None:
    """A loaded timestamp (datetime, possibly naive UTC) or int as Unix seconds."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    return int(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return unix(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return value if value is None or isinstance(value, bool) else str(value)


def _as_id(field_name: str, value: Any) -> str | None:
    if value is None or (field_name in UNASSIGNED_AS_ZERO and value in (0, "0")):
        return None
    return str(value)


def mismatches(loaded: Iterable[dict], expected: Iterable[dict], key: str = "id") -> list[str]:
    """Differences between loaded rows and truth rows, matched on `key`, comparing every
    field the two share (timestamps as Unix seconds, ids as strings). [] when equal."""
    got = by_id(loaded, key)
    want = by_id(expected, key)
    problems = [f"missing {k}" for k in sorted(want.keys() - got.keys())]
    problems += [f"unexpected {k}" for k in sorted(got.keys() - want.keys())]
    for k in sorted(want.keys() & got.keys()):
        for field_name in sorted(want[k].keys() & got[k].keys()):
            a, b = _comparable(got[k][field_name]), _comparable(want[k][field_name])
            if is_id_column(field_name):  # ids load as text; 2.16's unassigned 0 as null
                a, b = _as_id(field_name, a), _as_id(field_name, b)
            if a != b:
                problems.append(f"{k}.{field_name}: loaded {a!r} != truth {b!r}")
    return problems


def settle(emu: Any) -> None:
    """Move the (frozen) data clock past the clock-skew allowance, without activity.
    `updated_at` has one-second granularity, so a version read during its own second could
    still change within it; the source cannot trust the `Date` clock to the second, so it
    loads a version again until `Date` is `CLOCK_SKEW_SECONDS` past it: "a run with no
    change loads nothing" holds from the run after the clock moved that far."""
    advance(emu.world, CLOCK_SKEW_SECONDS + 1, intensity=0.0)


def by_id(items: Iterable[dict], key: str = "id") -> dict[str, dict]:
    return {str(item[key]): item for item in items}


def pairs(items: Iterable[dict], a: str, b: str) -> set[tuple[str, str]]:
    return {(str(item[a]), str(item[b])) for item in items}
