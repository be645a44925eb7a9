"""Where a sync's CPU goes: the thread CPU time spent inside chosen functions during one
`bench.sync_child` run (same arguments), added to its report as `cpu_breakdown_s`.

    python -m bench.cpu_breakdown --base-url URL --token T --duckdb-file F \
        --pipelines-dir D --resources contacts

Each function is timed with `time.thread_time` on the thread that calls it, so waiting (for
the network, for the GIL) is not counted, and the sum over every thread is reported. Nested
entries overlap: "dlt: Arrow items written" includes "dlt: table schema per item" and "dlt:
parquet writing"; a load job's thread is the one DuckDB runs on (the sync sets it to one
thread), and DuckDB's checkpoint runs when the file held open for the load is closed. The
README's "Where the CPU goes now" was measured with this.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench import sync_child
from sources.intercom.dlt_compat import DLT_HOT_PATHS

# label -> (module, attribute path of a function or method)
MEASURED: dict[str, tuple[str, str]] = {
    "HTTP requests (httpx)": ("sources.intercom.client", "IntercomClient._send"),
    "JSON parsing (orjson)": ("sources.intercom.client", "IntercomClient._parse_ok"),
    "contacts: search results into rows": ("sources.intercom.contacts", "shape_contact"),
    "conversations/tickets: records into rows": ("sources.intercom.conversations", "split_record"),
    "shaping into Arrow": ("sources.intercom.arrow_rows", "ArrowShaper.shape"),
    **DLT_HOT_PATHS,  # dlt's own functions (private names, checked in dlt_compat's tests)
    # the file is held open for the load step; closing it runs DuckDB's checkpoint
    "DuckDB checkpoint (closing the file)": (
        "pipelines.destinations.duckdb_held_open",
        "DuckDbHeldOpenDuringLoad._close",
    ),
}


class CpuBreakdown:
    """Thread CPU seconds per label, summed over threads."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self, measured: dict[str, tuple[str, str]]) -> None:
        for label, (module_name, path) in measured.items():
            owner: Any = importlib.import_module(module_name)
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, name, self._timed(label, getattr(owner, name)))

    def _timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.seconds[label] += spent

        return timed


def main() -> None:
    args = sync_child.parse_args()
    breakdown = CpuBreakdown()
    breakdown.install(MEASURED)
    report = sync_child.measure(args)
    report["cpu_breakdown_s"] = {label: round(breakdown.seconds[label], 3) for label in MEASURED}
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
