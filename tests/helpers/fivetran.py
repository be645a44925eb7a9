"""Building Fivetran's `dbt_intercom` (vendored unchanged in analytics/fivetran/packages) over
the Fivetran-shaped schema a sync built, the way a team moving from Fivetran would: its own
dbt project (analytics/fivetran), the vars `intercom_schema`, `dbt build`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.reporting.transform import DBT_PROJECT_DIR, OFFLINE_DBT_ENV

PROJECT = DBT_PROJECT_DIR / "fivetran"
# dbt_intercom's models land in `<target schema>_intercom`, its staging in `..._stg_intercom`.
MARTS = ("intercom__conversation_metrics", "intercom__admin_metrics", "intercom__company_metrics")


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


def build_dbt_intercom(work: Path, fivetran_schema: str, dbt_env: dict[str, str]) -> PackageBuild:
    """`dbt build` (models and the package's own tests) of analytics/fivetran, in a child
    process (dbt-duckdb keeps its connection open in-process)."""
    target_schema = f"{fivetran_schema}_dbt"
    env = {**os.environ, **OFFLINE_DBT_ENV, **dbt_env}
    env.pop("DLT__CREDENTIALS__DATABASE", None)  # would win over INTERCOM_DUCKDB_FILE
    dbt_vars = {"intercom_schema": fivetran_schema, "destination_dataset_name": target_schema}
    command = [
        sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())",
        "build",
        "--project-dir", str(PROJECT),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
        "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    results_file = work / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    output = (done.stdout + done.stderr)[-4000:]
    assert results, output
    return PackageBuild(results, f"{target_schema}_intercom", output)
