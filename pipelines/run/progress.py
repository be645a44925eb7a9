"""Progress of a sync on stderr: one short line every `PERIOD_S` seconds, dlt's blocks with `-v`.

dlt's `LogCollector` writes a block per step at its start, every period and at its end (a
header, a line per counter, memory and CPU): about 100 lines for a 2-second sync, which
buried the summary. `OneLineProgress` keeps its counting (`dlt_compat.PeriodicCounts`) and
writes one line per period only, none at a step's start or end (the summary says what the
run did). With `-v` (the `intercom_sync` logger at DEBUG) the sync uses dlt's own collector,
unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

import dlt

from sources.intercom.dlt_compat import PeriodicCounts

log = logging.getLogger("intercom_sync")

PERIOD_S = 10.0


class OneLineProgress(PeriodicCounts):
    """`extract: contacts 1200, conversations 300 (12s)` every period, on our logger."""

    def __init__(self, log_period: float = PERIOD_S) -> None:
        super().__init__(log_period=log_period, logger=log, dump_system_stats=False)

    def report(self, step: str, counts: dict[str, int], elapsed: float) -> None:
        shown = ", ".join(
            f"{name} {count}" for name, count in counts.items() if name != "Resources"
        )
        log.info("%s: %s (%.0fs)", step, shown or "…", elapsed)


def collector(enabled: bool) -> Any:
    """The progress collector of a sync: None without progress, dlt's with `-v`."""
    if not enabled:
        return None
    if log.isEnabledFor(logging.DEBUG):
        return dlt.progress.log(log_period=PERIOD_S, logger=log, dump_system_stats=False)
    return OneLineProgress()
