"""Progress of a sync on stderr: one short line every `PERIOD_S` seconds, dlt's blocks with `-v`.

dlt's `LogCollector` writes a block per step at its start, every period and at its end (a
header, a line per counter, memory and CPU): about 100 lines for a 2-second sync, which
buried the summary. `OneLineProgress` keeps its counting and writes one line per period
only, none at a step's start or end (the summary says what the run did). With `-v` (the
`intercom_sync` logger at DEBUG) the sync uses dlt's own collector, unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

import dlt
from dlt.common.runtime.collector import LogCollector

log = logging.getLogger("intercom_sync")

PERIOD_S = 10.0


class OneLineProgress(LogCollector):
    """`extract: contacts 1200, conversations 300 (12s)` every period, on our logger."""

    def __init__(self, log_period: float = PERIOD_S) -> None:
        super().__init__(log_period=log_period, logger=log, dump_system_stats=False)

    def _start(self, step: str) -> None:
        super()._start(step)
        self.last_log_time = self._clock()  # the first line after a period, not at once

    def _stop(self) -> None:  # no closing block: the summary follows
        self.counters = None
        self.counter_info = None
        self.messages = None
        self.last_log_time = None

    def dump_counters(self) -> None:
        now = self._clock()
        started = min((info.start_time for info in self.counter_info.values()), default=now)
        counts = ", ".join(
            f"{info.description} {count}"
            for name, count in self.counters.items()
            if (info := self.counter_info[name]) and info.description != "Resources"
        )
        self.logger.log(self.log_level, "%s: %s (%.0fs)", self.step, counts or "…", now - started)


def collector(enabled: bool) -> Any:
    """The progress collector of a sync: None without progress, dlt's with `-v`."""
    if not enabled:
        return None
    if log.isEnabledFor(logging.DEBUG):
        return dlt.progress.log(log_period=PERIOD_S, logger=log, dump_system_stats=False)
    return OneLineProgress()
