"""`intercom-sync demo`: start the offline emulator, sync it into DuckDB, show what landed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.exit_codes import ExitCode
from pipelines.runner import DEFAULT_DATASET, SyncOptions, SyncResult, format_summary, run_sync

DEMO_PIPELINE = "intercom_demo"

# One example of the questions the tables answer: how fast does each team first reply?
EXAMPLE_SQL = f"""
SELECT coalesce(t.name, '(no team)')                                  AS team,
       count(*)                                                       AS conversations,
       round(median(c.statistics__time_to_admin_reply) / 60.0, 1)     AS median_minutes_to_first_reply
FROM {DEFAULT_DATASET}.conversations c
LEFT JOIN {DEFAULT_DATASET}.teams t ON t.id = c.team_assignee_id
GROUP BY 1
ORDER BY conversations DESC
LIMIT 10
"""


def sync_emulator(db: Path, scale: str, seed: int, pipelines_dir: str) -> SyncResult:
    """Start an emulator world and sync all of it into `db` (pipeline `intercom_demo`)."""
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)  # the demo always starts from an empty database
    with running_emulator(WorldConfig(seed=seed, scale=scale)) as emu:
        print(f"Emulator at {emu.base_url} (scale={scale}, seed={seed}); syncing into {db} …")
        return run_sync(
            SyncOptions(
                duckdb_file=str(db),
                pipeline_name=DEMO_PIPELINE,
                pipelines_dir=pipelines_dir,
                base_url=emu.base_url,
                access_token=emu.token,
                progress=False,
                full_refresh=True,  # a kept --pipelines-dir must not resume an old demo
            )
        )


def run_demo(duckdb_file: str, scale: str, seed: int, pipelines_dir: str | None = None) -> int:
    """`pipelines_dir`: keep the pipeline there (for `status`/`schema`/`dlt pipeline`);
    default: a temporary directory."""
    db = Path(duckdb_file)
    print("Starting the Intercom emulator …")
    if pipelines_dir is not None:
        result = sync_emulator(db, scale, seed, pipelines_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="intercom-demo-") as tmp:
            result = sync_emulator(db, scale, seed, tmp)
    print(format_summary(result))
    print("\nExample: median minutes to first admin reply, per team")
    print(EXAMPLE_SQL.strip())
    with duckdb.connect(str(db), read_only=True) as con:
        con.sql(EXAMPLE_SQL).show()
    print(f"Explore it yourself:  duckdb {db}   (schema '{DEFAULT_DATASET}')")
    return ExitCode.OK
