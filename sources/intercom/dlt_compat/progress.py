"""dlt progress collectors of our own.

A collector is passed to `dlt.pipeline(progress=...)`; dlt enters it around each step
(`with collector(step):`), which calls its `_start(step)` and `_stop()`: private methods,
abstract in dlt's `Collector`. Our collectors implement the public-looking `start`/`stop`
instead, or forward to a collector they wrap. `LogCollector` (dlt's `progress="log"`) keeps its
counts in attributes (`counters`, `counter_info`, `_clock`) that `PeriodicCounts` reads.
"""

from __future__ import annotations

from typing import Any

from dlt.common.runtime.collector import NULL_COLLECTOR, Collector, LogCollector


class ProgressCollector(Collector):
    """A dlt collector; override `update` and, if needed, `start` and `stop`."""

    def start(self, step: str) -> None:
        """A step (`Extract intercom`, `Load`…) begins."""

    def stop(self) -> None:
        """The step that began ends (also when it failed)."""

    def _start(self, step: str) -> None:
        self.start(step)

    def _stop(self) -> None:
        self.stop()


class ForwardingCollector(ProgressCollector):
    """Passes every call on to `inner` (a dlt collector; None: dlt's collector that counts
    nothing). Override the trace hooks (`on_start_trace_step`…) and call `super()`."""

    def __init__(self, inner: Collector | None) -> None:
        self.inner: Collector = inner if inner is not None else NULL_COLLECTOR

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        self.inner.update(name, inc, total, inc_total, message, label)

    def __call__(self, step: str) -> Any:
        self.inner(step)
        self.step = step
        return self

    def start(self, step: str) -> None:
        self.inner._start(step)

    def stop(self) -> None:
        self.inner._stop()

    def on_start_trace(self, trace: Any, step: Any, pipeline: Any) -> None:
        self.inner.on_start_trace(trace, step, pipeline)

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        self.inner.on_start_trace_step(trace, step, pipeline)

    def on_end_trace_step(
        self, trace: Any, step: Any, pipeline: Any, step_info: Any, send_state: bool
    ) -> None:
        self.inner.on_end_trace_step(trace, step, pipeline, step_info, send_state)

    def on_end_trace(self, trace: Any, pipeline: Any, send_state: bool) -> None:
        self.inner.on_end_trace(trace, pipeline, send_state)


class PeriodicCounts(LogCollector):
    """dlt's `LogCollector` counting, reported by `report` once per `log_period` only: not
    at once when a step starts (dlt logs its first block then), nor when it ends."""

    def report(self, step: str, counts: dict[str, int], elapsed: float) -> None:
        """Every period: the count of each counter by its description (`contacts`,
        `Resources`…), seconds since the step's first counter started."""
        raise NotImplementedError

    def _start(self, step: str) -> None:
        super()._start(step)
        self.last_log_time = self._clock()  # the first report after a period, not at once

    def _stop(self) -> None:  # no closing report
        self.counters = None
        self.counter_info = None
        self.messages = None
        self.last_log_time = None

    def dump_counters(self) -> None:
        now = self._clock()
        infos = self.counter_info
        started = min((info.start_time for info in infos.values()), default=now)
        counts = {infos[name].description: count for name, count in self.counters.items()}
        self.report(self.step, counts, now - started)
