"""The scheduling recipes in docs/ are valid: the crontab lines parse, the GitHub Actions
workflow is a well-formed workflow, the Airflow DAG compiles and uses dlt's helper, and every
`intercom-sync` command line in them is accepted by the real argument parser."""

from __future__ import annotations

import ast
import py_compile
import re
import shlex
import subprocess
from pathlib import Path

import yaml

from pipelines.cli import build_parser
from tests.helpers.cli import REPO

DOCS = REPO / "docs"
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def assert_cron_schedule(fields: list[str]) -> None:
    assert len(fields) == 5, fields
    for field, (low, high) in zip(fields, CRON_RANGES, strict=True):
        assert CRON_FIELD.match(field), field
        for number in re.findall(r"\d+", re.sub(r"/\d+", "", field)):
            assert low <= int(number) <= high, field


def assert_cli_accepts(command: str) -> None:
    """Every `intercom-sync …` invocation in a shell command parses with our CLI."""
    # The executable followed by arguments (not the `/srv/intercom-sync` directory).
    invocations = re.findall(r"intercom-sync\s+([^&|;>\s][^&|;>]*)", command)
    assert invocations, command
    for args in invocations:
        build_parser().parse_args(shlex.split(args))  # SystemExit on an unknown flag


def _crontab_lines() -> list[str]:
    text = (DOCS / "cron.md").read_text()
    blocks = re.findall(r"```crontab\n(.*?)```", text, re.DOTALL)
    assert blocks, "docs/cron.md has a ```crontab block"
    return [
        line for block in blocks for line in block.splitlines() if line.strip() and line[0] != "#"
    ]


def test_crontab_lines_parse() -> None:
    lines = _crontab_lines()
    assert len(lines) >= 2
    for line in lines:
        parts = line.split(None, 5)
        assert len(parts) == 6, f"5 schedule fields and a command: {line}"
        assert_cron_schedule(parts[:5])
        command = parts[5]
        # Valid shell, and our own CLI accepts its arguments.
        subprocess.run(["bash", "-n", "-c", command], check=True)
        assert_cli_accepts(command)
        assert "flock" not in command  # intercom-sync locks per pipeline itself
    runs = [line for line in lines if " run " in line]
    assert all(">>" in line and "2>&1" in line for line in runs), "logs are kept"


def test_github_actions_workflow_is_well_formed() -> None:
    workflow = yaml.safe_load((DOCS / "recipes" / "github-actions.yml").read_text())
    # YAML 1.1 reads the bare key `on` as True; GitHub reads it as "on".
    triggers = workflow.get("on", workflow.get(True))
    assert triggers is not None and "workflow_dispatch" in triggers
    for schedule in triggers["schedule"]:
        assert_cron_schedule(schedule["cron"].split())
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # never kill a running load
    (job,) = workflow["jobs"].values()
    assert job["runs-on"]
    env = job["env"]
    assert env["INTERCOM_ACCESS_TOKEN"].startswith("${{ secrets.")  # never inline a token
    commands = [step["run"] for step in job["steps"] if "run" in step]
    assert any("intercom-sync" in c and " run" in c for c in commands)
    for command in commands:
        subprocess.run(["bash", "-n", "-c", command], check=True)
        if "intercom-sync" in command:
            assert_cli_accepts(command)
    for step in job["steps"]:
        assert ("uses" in step) != ("run" in step), step


def test_airflow_dag_compiles_and_uses_dlt_helper(tmp_path: Path) -> None:
    path = DOCS / "recipes" / "airflow_dag.py"
    py_compile.compile(str(path), cfile=str(tmp_path / "dag.pyc"), doraise=True)
    tree = ast.parse(path.read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert ("dlt.helpers.airflow_helper", "PipelineTasksGroup") in imported
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert {"PipelineTasksGroup", "add_run", "intercom"} <= calls
    dag_kwargs = {
        kw.arg: kw.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dag"
        for kw in node.keywords
    }
    assert ast.literal_eval(dag_kwargs["max_active_runs"]) == 1  # one run at a time
    assert_cron_schedule(ast.literal_eval(dag_kwargs["schedule"]).split())
