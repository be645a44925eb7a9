"""What a sync is asked to do (`SyncOptions`), what it did (`SyncResult`), and the checks of its options that need no request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pendulum
from dlt.common.pipeline import LoadInfo

from pipelines.defaults import DEFAULT_DATASET, DEFAULT_PIPELINE
from pipelines.destinations.duckdb_file import DEFAULT_DUCKDB_FILE
from pipelines.errors import ConfigError, SyncError
from pipelines.exit_codes import ExitCode
from sources.intercom.dlt_compat import default_pipelines_dir, parse_datetime
from sources.intercom.settings import REPLACED_RESOURCES


@dataclass
class SyncOptions:
    destination: str = "duckdb"
    duckdb_file: str = DEFAULT_DUCKDB_FILE
    dataset: str = DEFAULT_DATASET
    pipeline_name: str = DEFAULT_PIPELINE
    pipelines_dir: str | None = None
    resources: list[str] | None = None
    start_date: str | None = None
    end_date: str | None = None  # exclusive; a backfill chunk's end (pipelines/run/backfill.py)
    full_refresh: bool = False
    base_url: str | None = None
    region: str | None = None
    api_version: str | None = None
    access_token: str | None = None  # only from code (tests, demo); the CLI never takes it
    progress: bool = True
    table_format: str | None = None  # filesystem destination: "delta" (merges upsert)
    reconcile: bool = False  # also tombstone deleted contacts/companies/tickets (--reconcile)
    deletes: str | None = None  # "soft" | "hard" (--deletes); None: [sources.intercom] config
    include: list[str] | None = None  # opt-in resources (--include); None: [sources.intercom]
    history: bool | None = None  # keep every version (--history); None: [sources.intercom] config


@dataclass
class SyncResult:
    load_info: LoadInfo | None
    rows_by_table: dict[str, int]
    requests: int
    retries: int
    rate_limited: int
    seconds: float
    finished_pending: bool = False
    server_time: int | None = None  # the API's clock (`Date`) at the end of the run
    extra: dict[str, Any] = field(default_factory=dict)
    # resource -> why it failed, while the others loaded (their cursors moved; not its own)
    failed: dict[str, str] = field(default_factory=dict)
    # the failed lookups that have no table (a first run): there was nothing to keep
    no_table: list[str] = field(default_factory=list)
    # history mode: versions written per `<table>_history` after the load (None: mode off)
    history: dict[str, int] | None = None

    def failed_by_outcome(self) -> list[tuple[str, list[str]]]:
        """The failed resources grouped by what they kept: `FAILURE_OUTCOMES` keys, names."""
        groups: dict[str, list[str]] = {}
        for name in self.failed:
            if name not in REPLACED_RESOURCES:
                outcome = "cursor"  # a merged table: loaded rows stay, the window is re-read
            else:
                outcome = "no_table" if name in self.no_table else "table"
            groups.setdefault(outcome, []).append(name)
        return [(outcome, groups[outcome]) for outcome in FAILURE_OUTCOMES if outcome in groups]


# What a failed resource kept: (the error line's words, the summary's words).
FAILURE_OUTCOMES = {
    "cursor": ("keep their cursor", "cursor kept, read again next run"),
    "table": (
        "keep their table as the last good run left it",
        "table kept as the last good run left it, read again next run",
    ),
    "no_table": ("have no table yet", "no table yet, read again next run"),
}


class ResourcesFailed(SyncError):
    """Some resources exhausted their retries; the others loaded (`result`). Raised after the
    load and recorded, so that schedulers see a failure and the summary still shows."""

    exit_code = ExitCode.RESOURCES_FAILED

    def __init__(self, result: SyncResult) -> None:
        reasons = "; ".join(f"{name}: {why}" for name, why in result.failed.items())
        kept = "; ".join(
            f"{', '.join(names)} failed and {FAILURE_OUTCOMES[outcome][0]}"
            for outcome, names in result.failed_by_outcome()
        )
        super().__init__(
            f"{kept} (the next run reads them again); the other resources loaded. {reasons}"
        )
        self.result = result


def validate_start_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # pendulum's ParserError is one
        raise ConfigError(
            f"start date '{value}' is not an ISO 8601 date such as 2024-01-31 "
            "or 2024-01-31T12:00:00Z"
        ) from None
    if parsed > pendulum.now("UTC"):
        raise ConfigError(f"start date '{value}' is in the future; give a past date")
    return parsed.in_tz("UTC").to_iso8601_string()


def pipelines_dir_of(options: SyncOptions) -> str:
    return options.pipelines_dir or default_pipelines_dir()


def refresh_mode(options: SyncOptions) -> str | None:
    """dlt's `refresh` for `--full-refresh`: with `--resources`, only those resources' tables
    and state are dropped (dlt's `drop_sources` would drop every table of the source)."""
    if not options.full_refresh:
        return None
    return "drop_resources" if options.resources else "drop_sources"
