"""Build the dbt models in `analytics/` on a synced dataset, through dlt's dbt runner.

`intercom-sync run --transform` calls `run_transform(pipeline)` after a successful sync: dbt
`run` then `test`, with the project's own `profiles.yml` (dlt's bundled DuckDB profile installs
extensions from the internet). Models land in `analytics_dataset_name(dataset)`; with a
Fivetran schema (`fivetran_schema.py`), its views are built too (dbt selector `all`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from pipelines.errors import ConfigError, SyncError
from pipelines.exit_codes import ExitCode
from sources.intercom.dlt_compat import venv_of_this_interpreter

log = logging.getLogger("intercom_sync")

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "analytics"
DBT_PROFILE = "intercom_sync"
SUPPORTED_DESTINATIONS = ("duckdb", "postgres")  # the targets in analytics/profiles.yml
# dbt must never phone home: no usage statistics, no version check (no internet here).
OFFLINE_DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false"}


@dataclass
class TransformResult:
    schema: str
    models: int
    tests: int
    seconds: float
    fivetran_schema: str | None = None


def dbt_selection(fivetran_schema: str | None) -> tuple[list[str], dict[str, str]]:
    """dbt arguments and vars: the default selector (the analytics models), or every model
    with the Fivetran-shaped views in `fivetran_schema` (analytics/selectors.yml)."""
    if fivetran_schema is None:
        return [], {}
    return ["--selector", "all"], {"fivetran_schema": fivetran_schema}


def analytics_dataset_name(dataset: str) -> str:
    """`intercom_raw` -> `intercom_analytics`; any other dataset gets `_analytics` appended."""
    base = dataset[: -len("_raw")] if dataset.endswith("_raw") else dataset
    return f"{base}_analytics"


def dbt_project_dir() -> Path:
    """The dbt project: `INTERCOM_SYNC_DBT_PROJECT` or `analytics/` next to this package."""
    configured = os.environ.get("INTERCOM_SYNC_DBT_PROJECT")
    path = Path(configured) if configured else DBT_PROJECT_DIR
    if not (path / "dbt_project.yml").is_file():
        raise ConfigError(
            f"no dbt project at {path}; set INTERCOM_SYNC_DBT_PROJECT to the analytics/ folder"
        )
    return path


def _summarize(results: Any) -> int:
    return len(results or [])


def check_transform_supported(pipeline: dlt.Pipeline) -> str:
    """The destination type `run_transform` would build on; ConfigError where it cannot (dbt
    not installed, or a destination without a profile). Checked before a sync, so that a
    long sync does not end in this error."""
    destination_type = pipeline.destination.destination_type.rsplit(".", 1)[-1]
    if destination_type not in SUPPORTED_DESTINATIONS:
        raise ConfigError(
            f"--transform supports {', '.join(SUPPORTED_DESTINATIONS)}; not {destination_type}"
        )
    check_dbt_installed(destination_type)
    return destination_type


def check_dbt_installed(destination_type: str, option: str = "--transform") -> None:
    """dbt itself and its adapter for `destination_type`, in this interpreter (dlt runs dbt
    with it: `venv_of_this_interpreter`). `dlt.helpers.dbt` imports fine without dbt, so it
    proves nothing; a missing dbt would only fail after the whole sync."""
    for module in ("dbt.cli.main", f"dbt.adapters.{destination_type}"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # a parent package is missing (or is not dbt's)
            found = False
        if not found:
            raise ConfigError(
                f"{option} needs dbt-core and dbt-{destination_type}, which are not installed "
                f"here ({module} is missing): pip install -e '.[dbt]' in the intercom-sync "
                f"folder (or pip install 'dbt-core>=1.10,<1.11' dbt-{destination_type})"
            )


def run_transform(
    pipeline: dlt.Pipeline,
    analytics_dataset: str | None = None,
    fivetran_schema: str | None = None,
) -> TransformResult:
    """dbt run + dbt test of `analytics/` over `pipeline`'s dataset (and the Fivetran-shaped
    views in `fivetran_schema`, if given); raises SyncError on failure."""
    import time

    destination_type = check_transform_supported(pipeline)
    from dlt.helpers.dbt import create_runner
    from dlt.helpers.dbt.exceptions import DBTProcessingError

    schema = analytics_dataset or analytics_dataset_name(pipeline.dataset_name)
    project = dbt_project_dir()
    for name, value in OFFLINE_DBT_ENV.items():
        os.environ.setdefault(name, value)
    os.environ["INTERCOM_DBT_TARGET"] = destination_type
    # Build artefacts and logs go to the pipeline's working dir: the project folder stays clean
    # and two pipelines never share a target/ folder.
    work = Path(pipeline.working_dir) / "dbt"
    paths = ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    selection, dbt_vars = dbt_selection(fivetran_schema)
    paths += selection
    started = time.monotonic()
    with pipeline.destination_client() as client:
        credentials = client.config
    runner = create_runner(
        venv_of_this_interpreter(),
        credentials,
        str(work),
        package_location=str(project),
        package_profiles_dir=str(project),
        package_profile_name=DBT_PROFILE,
    )
    try:
        built = runner.run(
            cmd_params=["--fail-fast", *paths],
            additional_vars=dbt_vars,
            destination_dataset_name=schema,
        )
        tested = runner.test(
            cmd_params=paths, additional_vars=dbt_vars, destination_dataset_name=schema
        )
    except DBTProcessingError as exc:
        failed = [
            f"{r.model_name}: {r.message}"
            for r in (exc.run_results or [])
            if r.status not in ("success", "pass")
        ]
        detail = "; ".join(failed[:5]) or str(exc)
        raise SyncError(
            f"the sync succeeded but dbt {exc.command} failed: {detail}", ExitCode.UNEXPECTED
        ) from None
    result = TransformResult(
        schema=schema,
        models=_summarize(built),
        tests=_summarize(tested),
        seconds=time.monotonic() - started,
        fivetran_schema=fivetran_schema,
    )
    log.info(
        "dbt: %d models built, %d tests passed in schema %s (%.1fs)",
        result.models,
        result.tests,
        result.schema,
        result.seconds,
    )
    return result


def build_duckdb_standalone(
    duckdb_file: str, dataset: str, work_dir: str, fivetran_schema: str | None = None
) -> TransformResult:
    """`dbt build` (models + tests) of `analytics/` on a DuckDB file, without a dlt pipeline
    (for `intercom-sync report --build-models`, e.g. on the demo's database).

    dbt runs in a child process: dbt-duckdb keeps its connection open in-process, and DuckDB
    refuses a second connection with other settings to the same file."""
    import json
    import subprocess
    import time

    project = dbt_project_dir()
    schema = analytics_dataset_name(dataset)
    target = Path(work_dir) / "target"
    env = {
        **os.environ,
        **OFFLINE_DBT_ENV,
        "INTERCOM_DBT_TARGET": "duckdb",
        "INTERCOM_DUCKDB_FILE": str(Path(duckdb_file).resolve()),
    }
    env.pop("DLT__CREDENTIALS__DATABASE", None)  # would win over INTERCOM_DUCKDB_FILE
    selection, extra_vars = dbt_selection(fivetran_schema)
    dbt_vars = {"source_dataset_name": dataset, "destination_dataset_name": schema, **extra_vars}
    command = [
        sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())",
        "build",
        "--project-dir", str(project),
        "--profiles-dir", str(project),
        "--target-path", str(target),
        "--log-path", str(Path(work_dir) / "logs"),
        "--vars", json.dumps(dbt_vars),
        *selection,
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    if done.returncode != 0:
        failed = [
            f"{r['unique_id']}: {r.get('message')}"
            for r in results
            if r["status"] not in ("success", "pass")
        ]
        detail = "; ".join(failed[:5]) or (done.stdout + done.stderr).strip()[-2000:]
        raise SyncError(f"dbt build failed: {detail}", ExitCode.UNEXPECTED)
    tests = sum(1 for r in results if r["unique_id"].startswith("test."))
    return TransformResult(
        schema=schema,
        models=len(results) - tests,
        tests=tests,
        seconds=time.monotonic() - started,
        fivetran_schema=fivetran_schema,
    )
