"""`intercom-sync demo`: start the offline emulator, sync it into DuckDB, show what landed.

The demo replaces its DuckDB file on every run, so it only ever replaces a file it made
itself (`demo_made`): any other file at that path is refused, never deleted. Its pipeline
(`intercom_demo`) is kept in `.intercom-demo/` next to the file, so that `status`, `schema`
and `dlt pipeline` can inspect it afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import duckdb

from emulator.world import WorldConfig
from pipelines.defaults import DEFAULT_DATASET
from pipelines.errors import ConfigError
from pipelines.exit_codes import ExitCode
from pipelines.run.options import SyncOptions, SyncResult
from pipelines.run.summary import format_summary
from pipelines.run.sync import run_sync
from sources.intercom.settings import OPTIONAL_RESOURCES

DEMO_PIPELINE = "intercom_demo"
DEMO_PIPELINES_DIR = ".intercom-demo"  # next to the demo's DuckDB file

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

_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "main"}


def demo_made(db: Path) -> bool:
    """Whether `db` is a DuckDB file the demo made: its only dlt pipeline is the demo's, and
    it holds nothing but intercom datasets (the demo's, its staging, the dbt models' that
    `report --build-models` adds). Anything else, or no DuckDB file at all, is the user's."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            pipelines = con.sql(
                f"SELECT DISTINCT pipeline_name FROM {DEFAULT_DATASET}._dlt_pipeline_state"
            ).fetchall()
            schemas = con.sql(
                "SELECT DISTINCT schema_name FROM information_schema.schemata"
            ).fetchall()
            main_tables = con.sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchone()
    except duckdb.Error:  # not a DuckDB file, one in use, or one without the demo's dataset
        return False
    others = {name for (name,) in schemas} - _SYSTEM_SCHEMAS
    return (
        pipelines == [(DEMO_PIPELINE,)]
        and all(name.startswith("intercom_") for name in others)
        and main_tables == (0,)
    )


def check_demo_file(db: Path) -> None:
    """Refuse a `--duckdb-file` the demo would have to replace but did not make."""
    if db.exists() and not (db.is_file() and demo_made(db)):
        raise ConfigError(
            f"{db} exists and was not made by `intercom-sync demo`, which replaces its file on "
            "every run: give another --duckdb-file (or move that file away yourself)"
        )


def sync_emulator(db: Path, scale: str, seed: int, pipelines_dir: str) -> SyncResult:
    """Start an emulator world and sync all of it into `db` (pipeline `intercom_demo`), from
    an empty database (`db`, if it exists, is one the demo made: `check_demo_file`)."""
    try:  # the emulator's server is an extra: a sync never needs it
        from emulator.testing import running_emulator
    except ImportError as exc:
        raise ConfigError(
            f"the demo runs the emulator, whose packages are not installed ({exc.name}): "
            "pip install 'intercom-sync[emulator]'"
        ) from None
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
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
                include=list(OPTIONAL_RESOURCES),  # the demo shows the opt-in tables too
            )
        )


def _shown(path: Path) -> str:
    """`path` as the user can type it from here: relative below the working directory."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def venv_command(name: str) -> str:
    """How to call command `name` (`duckdb` from duckdb-cli, `intercom-sync`): the one next to
    this Python (the venv's, which may not be on PATH), else whatever is on PATH."""
    here = Path(sys.executable).with_name(name)
    if here.is_file():
        return _shown(here)
    return shutil.which(name) or name


def run_demo(duckdb_file: str, scale: str, seed: int, pipelines_dir: str | None = None) -> int:
    """`pipelines_dir`: where the demo pipeline is kept (default: `.intercom-demo` next to
    the DuckDB file)."""
    db = Path(duckdb_file)
    check_demo_file(db)
    kept = Path(pipelines_dir) if pipelines_dir else db.parent / DEMO_PIPELINES_DIR
    print("Starting the Intercom emulator …")
    result = sync_emulator(db, scale, seed, str(kept))
    print(format_summary(result))
    print("\nExample: median minutes to first admin reply, per team")
    print(EXAMPLE_SQL.strip())
    with duckdb.connect(str(db), read_only=True) as con:
        con.sql(EXAMPLE_SQL).show()
    print(
        f"Explore it yourself:  {venv_command('duckdb')} {_shown(db)}   "
        f"(schema '{DEFAULT_DATASET}')"
    )
    status = f"status --pipeline-name {DEMO_PIPELINE} --pipelines-dir {_shown(kept)}"
    print(f"Inspect the pipeline: {venv_command('intercom-sync')} {status}")
    return ExitCode.OK
