"""Keep the DuckDB file open for the whole load step, not per load job.

The sync loads one job at a time into DuckDB (`duckdb_memory`). dlt closes its DuckDB
connection whenever no job holds it, so every job opened the database again and closed it
(with a checkpoint): measured ~9 ms of CPU per open and close, ~0.5 ms while another
connection holds the database open — a small world's first sync has ~100 jobs.

So while dlt's load step runs, one more connection to the same file is held open; DuckDB
shares one database instance among a process's connections to a file. It is opened as dlt
opens its own: with only the settings DuckDB takes at opening (`duckdb_memory.connect_config`;
dlt `SET`s the rest), or DuckDB would refuse dlt's connection. Only during the load step:
during extraction, when a sync can run for hours, other processes (BI tools,
`intercom-sync status`) can still open the file.

The hook is a dlt progress collector: the pipeline calls its `on_start_trace_step` and
`on_end_trace_step` around each step (`dlt.pipeline.trace`); every other call goes to the
collector it wraps (progress logging, or none: `dlt_compat.ForwardingCollector`).
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from typing import Any

import dlt

from sources.intercom.dlt_compat import ForwardingCollector

log = logging.getLogger("intercom_sync")


class DuckDbHeldOpenDuringLoad(ForwardingCollector):
    def __init__(
        self, duckdb_file: str, inner: Any, connect_config: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(inner)
        self.duckdb_file = duckdb_file
        self.connect_config = dict(connect_config or {})
        self._conn: Any = None

    # -- the hook -----------------------------------------------------------------------------

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        super().on_start_trace_step(trace, step, pipeline)
        if step == "load":
            self._open()

    def on_end_trace_step(
        self, trace: Any, step: Any, pipeline: Any, step_info: Any, send_state: bool
    ) -> None:
        try:
            if step.step == "load":
                self._close()
        finally:
            super().on_end_trace_step(trace, step, pipeline, step_info, send_state)

    @property
    def is_holding(self) -> bool:
        return self._conn is not None

    def _open(self) -> None:
        import duckdb

        self._close()
        path = self.duckdb_file
        if not os.path.isabs(path):  # where dlt puts a relative DuckDB path
            path = os.path.join(dlt.current.run_context().local_dir, path)
        try:
            self._conn = duckdb.connect(path, config=self.connect_config)
        except duckdb.Error as exc:  # e.g. locked by another process: dlt's load reports it
            log.debug("DuckDB not held open during the load: %s", exc)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> DuckDbHeldOpenDuringLoad:
        # dlt copies the pipeline's collector into the normalize step; a copy holds nothing
        inner = copy.deepcopy(self.inner, memo)
        return DuckDbHeldOpenDuringLoad(self.duckdb_file, inner, self.connect_config)

    def on_end_trace(self, trace: Any, pipeline: Any, send_state: bool) -> None:
        try:
            self._close()  # never left open past a run, whatever happened in it
        finally:
            super().on_end_trace(trace, pipeline, send_state)
