"""What a Ctrl-C (or SIGTERM) during the load step left in the destination, in one phrase.

An interrupt while dlt loads leaves the normalized package pending with some of its jobs
completed: those tables received their rows, the others did not, and the pipeline state
(the cursors) is loaded last, so no cursor moved. The next run aborts that package and
extracts again (`runner.partially_loaded`); merges make reloading what landed harmless.
"""

from __future__ import annotations

from typing import Any

import dlt

_DETAIL = "interrupted_load_detail"


def note_interrupted_load(pipeline: dlt.Pipeline, interrupt: BaseException) -> None:
    """Attach to `interrupt` what landed, if it came while a package was being loaded."""
    try:
        packages = pipeline.list_normalized_load_packages()
        jobs: dict[str, list[Any]] = {}
        for load_id in packages:
            for state, listed in pipeline.get_load_package_info(load_id).jobs.items():
                jobs.setdefault(state, []).extend(listed)
    except Exception:  # best effort: the interrupt itself must still get through
        return
    if not packages:
        return  # extracting or normalizing: nothing was being loaded
    done = jobs.get("completed_jobs", [])
    total = sum(len(listed) for listed in jobs.values())
    tables = sorted({job.job_file_info.table_name for job in done} - {"_dlt_pipeline_state"})
    landed = f" ({', '.join(tables)})" if tables else ""
    phrase = f" during the load step, after {len(done)} of {total} load jobs had landed{landed}"
    setattr(interrupt, _DETAIL, phrase)


def interrupted_load_detail(interrupt: BaseException) -> str:
    """The phrase `note_interrupted_load` attached, or ""."""
    return str(getattr(interrupt, _DETAIL, ""))
