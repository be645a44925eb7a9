"""The summary a run prints for people."""

from __future__ import annotations

from pipelines.run.options import FAILURE_OUTCOMES, SyncResult


def format_summary(result: SyncResult) -> str:
    lines = ["Sync finished."]
    if result.finished_pending:
        lines.append("  (first finished loading the data of an interrupted run)")
    total = sum(result.rows_by_table.values())
    lines.append(f"  rows loaded: {total}")
    width = max((len(t) for t in result.rows_by_table), default=0)
    for table, count in result.rows_by_table.items():
        lines.append(f"    {table:<{width}}  {count:>9}")
    if result.history is not None:
        written = ", ".join(f"{t} {n}" for t, n in result.history.items() if n) or "none"
        lines.append(f"  history versions written: {written}")
    lines.append(
        f"  requests: {result.requests}  retries: {result.retries}  "
        f"429s: {result.rate_limited}  time: {result.seconds:.1f}s"
    )
    if result.failed:
        lines[0] = "Sync finished, except for: " + ", ".join(result.failed)
        for outcome, names in result.failed_by_outcome():
            lines.append(f"  FAILED ({FAILURE_OUTCOMES[outcome][1]}): {', '.join(names)}")
    return "\n".join(lines)
