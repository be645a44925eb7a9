"""dlt settings the sync is measured and tested with, as defaults wherever it runs from.

dlt reads `.dlt/config.toml` from the working directory only, so a scheduler that runs
`intercom-sync` elsewhere would get dlt's own defaults instead. These are registered as a
configuration provider *after* all of dlt's (environment, secrets.toml, config.toml):
anything the user configures still wins.
"""

from __future__ import annotations

from typing import Any

from sources.intercom.dlt_compat import register_config_provider

DEFAULTS: dict[str, Any] = {
    "data_writer": {
        # dlt's intermediate files stay on local disk for seconds: compressing them cost ~10 %
        # of a sync's CPU. Parquet load files are compressed by parquet itself either way.
        "disable_compression": True,
        # Rows buffered per table before a write: the normalizer's peak memory grows with it
        # (10k conversations with parts: 314 MB -> 212 MB peak in normalize at 1,000 vs 5,000).
        "buffer_max_items": 1000,
    },
    "load": {
        # A merge copies every extracted row into the staging dataset first; dlt leaves that
        # copy there until the next load. Emptied right after the merge instead, DuckDB does
        # not write it at its checkpoint: a 100k-contact first sync's file 50 -> 26 MB, its
        # checkpoint 1.0 -> 0.5 s of CPU, the sync ~0.4 s less (alternating runs). Remote
        # warehouses stop storing (and billing) a second copy of the last load. The emptied
        # staging dataset itself is then dropped after the load (pipelines/destinations/staging.py).
        "truncate_staging_dataset": True,
    },
}


# Loading into DuckDB, a job that fails transiently is handed back at once instead of dlt
# retrying it four more times: there the transient failure is DuckDB running out of memory,
# which the same limit repeats (each time logging the traceback), and the sync loads the
# package again with more (`runner.run_with_memory_to_load`). Remote destinations keep dlt's
# five tries (network blips).
DUCKDB_DEFAULTS: dict[str, Any] = {"load": {"raise_on_max_retries": 1}}


def defaults_for(destination: str | None) -> dict[str, dict[str, Any]]:
    """The defaults for a sync into `destination` (a dlt destination name)."""
    chosen = {section: dict(values) for section, values in DEFAULTS.items()}
    if destination == "filesystem":
        # No staging dataset there to empty; with the setting dlt 1.31 makes an empty
        # `<dataset>_staging` folder that a `--full-refresh` then fails on ("No such file …
        # _staging/_dlt_version"): the refresh the migration warning asks for.
        del chosen["load"]["truncate_staging_dataset"]
    if destination == "duckdb":
        for section, values in DUCKDB_DEFAULTS.items():
            chosen.setdefault(section, {}).update(values)
    return chosen


PROVIDER_NAME = "intercom-sync defaults"


def install(destination: str | None = None) -> None:
    """Register the defaults for a sync into `destination` in this process, replacing those of
    an earlier sync (and again after dlt reloads its providers)."""
    register_config_provider(PROVIDER_NAME, defaults_for(destination))
