"""Building Fivetran's `dbt_intercom` (vendored unchanged in analytics/fivetran/packages) over
the Fivetran-shaped schema a sync built, the way a team moving from Fivetran would: its own
dbt project (analytics/fivetran), the var `intercom_schema`, `dbt build`. Also: building only
the Fivetran-shaped views (`--selector fivetran`) on a DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.reporting.transform import DBT_PROJECT_DIR, OFFLINE_DBT_ENV

PROJECT = DBT_PROJECT_DIR / "fivetran"


@dataclass
class PackageBuild:
    results: list[dict]  # dbt's run_results.json entries
    schema: str  # where dbt_intercom's end models are
    output: str

    def failed(self) -> list[str]:
        return [
            f"{r['unique_id']}: {r.get('message')}"
            for r in self.results
            if r["status"] not in ("success", "pass")
        ]

    def count(self, kind: str) -> int:
        return sum(1 for r in self.results if r["unique_id"].startswith(f"{kind}."))


def dbt(command: list[str], project: Path, work: Path, env: dict[str, str]) -> PackageBuild:
    """A dbt command in a child process (dbt-duckdb keeps its connection open in-process)."""
    full_env = {**os.environ, **OFFLINE_DBT_ENV, **env}
    full_env.pop("DLT__CREDENTIALS__DATABASE", None)  # would win over INTERCOM_DUCKDB_FILE
    argv = [
        sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())",
        *command,
        "--project-dir", str(project),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
    ]  # fmt: skip
    done = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=False)
    results_file = work / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    output = (done.stdout + done.stderr)[-4000:]
    assert results, output
    return PackageBuild(results, "", output)


def build_dbt_intercom(work: Path, fivetran_schema: str, dbt_env: dict[str, str]) -> PackageBuild:
    """`dbt build` (models and the package's own tests) of analytics/fivetran. Its models land
    in `<target schema>_intercom`, its staging in `<target schema>_stg_intercom`."""
    target_schema = f"{fivetran_schema}_dbt"
    dbt_vars = {"intercom_schema": fivetran_schema, "destination_dataset_name": target_schema}
    built = dbt(["build", "--vars", json.dumps(dbt_vars)], PROJECT, work, dbt_env)
    built.schema = f"{target_schema}_intercom"
    return built


def build_fivetran_views(work: Path, duckdb_file: Path, dataset: str, schema: str) -> PackageBuild:
    """`dbt run --selector fivetran` of analytics/ on a DuckDB file: the views only."""
    dbt_vars = {"source_dataset_name": dataset, "fivetran_schema": schema}
    env = {"INTERCOM_DBT_TARGET": "duckdb", "INTERCOM_DUCKDB_FILE": str(duckdb_file)}
    command = ["run", "--selector", "fivetran", "--vars", json.dumps(dbt_vars)]
    built = dbt(command, DBT_PROJECT_DIR, work, env)
    built.schema = schema
    return built
