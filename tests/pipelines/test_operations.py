"""Operating `intercom-sync`: JSON logs, status after success and failure, exit codes as
documented, `schema` from the real dlt schema (and the README reference equal to it),
several workspaces side by side, and dlt's own `dlt pipeline` CLI on our pipelines."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.errors import ConfigError
from pipelines.exit_codes import ExitCode
from pipelines.reporting.schema_doc import demo_schema_markdown, reference_section
from pipelines.reporting.status import collect_status, format_status
from pipelines.run.construct import merge_strategy_for
from sources.intercom.settings import CLOCK_SKEW_SECONDS
from tests.helpers.cli import REPO, VENV_BIN, clean_env, cli, run_args, status_args
from tests.helpers.truth import mismatches, pairs, truth


def _iso_seconds(moment: float) -> str:
    """A wall-clock time as `status --json` writes run times (UTC, to the second)."""
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).isoformat(timespec="seconds")


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _json_lines(stderr: str) -> list[dict]:
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    for record in records:
        assert {"ts", "level", "logger", "message"} <= record.keys(), record
    return records


@dataclass
class Synced:
    emu: Any
    root: Path
    run: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """One full sync (JSON logs, progress on) that the read-only tests below share."""
    root = tmp_path_factory.mktemp("ops")
    with running_emulator(WorldConfig(seed=3, scale="tiny")) as emu:
        run = cli(["--log-format", "json", *run_args(emu, root)], root, emu.token)
        assert run.returncode == 0, run.stderr
        yield Synced(emu, root, run)


def test_json_logs_are_one_object_per_line(synced: Synced, tmp_path: Path) -> None:
    # Progress on and dlt warnings included: nothing on stderr may be plain text.
    emulator, ok = synced.emu, synced.run
    records = _json_lines(ok.stderr)
    finished = [r for r in records if r.get("event") == "sync_finished"]
    assert len(finished) == 1
    assert finished[0]["rows"] > 0 and finished[0]["requests"] > 0
    assert emulator.token not in ok.stderr

    failed = cli(
        ["--log-format", "json", "run", "--base-url", f"http://127.0.0.1:{_dead_port()}"],
        tmp_path,
        emulator.token,
        {"SOURCES__INTERCOM__MAX_RETRIES": "0"},
    )
    assert failed.returncode == ExitCode.API_UNAVAILABLE
    errors = [r for r in _json_lines(failed.stderr) if r["level"] == "ERROR"]
    assert errors[-1]["exit_code"] == ExitCode.API_UNAVAILABLE
    assert "unavailable" in errors[-1]["message"]


def test_status_shows_cursor_lag_rows_success_and_failure(synced: Synced) -> None:
    emulator, tmp_path = synced.emu, synced.root
    world = emulator.world
    failed = cli(
        run_args(emulator, tmp_path, "--no-progress", "--resources", "contacts"),
        tmp_path,
        "wrong-token-123",
    )
    assert failed.returncode == ExitCode.AUTH

    result = cli(status_args(tmp_path, "--json"), tmp_path, token=None)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    contacts = status["resources"]["contacts"]
    newest = max(row["updated_at"] for row in truth(emulator, "contacts"))
    assert contacts["cursor"] == newest
    # Lag on the API's clock (the emulator's data clock), not the machine's.
    assert 0 <= contacts["lag_seconds"] - (world.now - newest) <= 120
    assert contacts["rows"] == len(truth(emulator, "contacts"))
    assert contacts["tables"]["contacts__tags"] == len(truth(emulator, "contacts__tags"))
    assert contacts["last_success"]["at"]
    assert contacts["last_failure"]["exit_code"] == ExitCode.AUTH
    assert "wrong-token-123" not in result.stdout
    # The failed run only covered contacts: other resources have no failure.
    assert status["resources"]["tags"]["last_failure"] is None
    assert status["resources"]["tags"]["rows"] == len(world.tags)
    assert status["last_failure"]["message"] == contacts["last_failure"]["message"]
    # The activity log's cursor: where the next run starts reading (the skew margin back).
    logs = status["resources"]["admin_activity_logs"]
    assert 0 <= world.now - CLOCK_SKEW_SECONDS - logs["cursor"] <= 120
    assert logs["rows"] == len(truth(emulator, "admin_activity_logs"))

    text = format_status(status)
    assert "last failure" in text and contacts["last_failure"]["message"] in text


def test_status_reports_on_the_duckdb_file_asked_for(emulator, tmp_path: Path) -> None:
    """One pipeline name synced into two DuckDB files: dlt keeps one local state (the last
    run's), yet status of each file shows that file's cursor and runs, not the other's."""
    pipelines = str(tmp_path / "pipelines")

    def run(db: str, token: str) -> subprocess.CompletedProcess[str]:
        args = ["run", "--base-url", emulator.base_url, "--pipelines-dir", pipelines]
        args += ["--duckdb-file", str(tmp_path / db), "--no-progress", "--resources", "contacts"]
        return cli(args, tmp_path, token)

    def status(db: str) -> dict[str, Any]:
        args = ["status", "--json", "--pipelines-dir", pipelines, "--duckdb-file", db]
        result = cli(args, tmp_path, token=None)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert run("a.duckdb", emulator.token).returncode == 0
    between = _iso_seconds(time.time())  # runs are recorded to the second: a and b may share one
    cursor_a = max(row["updated_at"] for row in truth(emulator, "contacts"))
    emulator.advance(3 * 3600)
    assert run("b.duckdb", emulator.token).returncode == 0
    cursor_b = max(row["updated_at"] for row in truth(emulator, "contacts"))
    assert cursor_b > cursor_a
    assert run("b.duckdb", "wrong-token-123").returncode == ExitCode.AUTH

    a, b = status(str(tmp_path / "a.duckdb")), status(str(tmp_path / "b.duckdb"))
    assert a["resources"]["contacts"]["cursor"] == cursor_a  # from a.duckdb's stored state
    assert b["resources"]["contacts"]["cursor"] == cursor_b
    assert a["last_failure"] is None and a["resources"]["contacts"]["last_failure"] is None
    assert b["last_failure"]["exit_code"] == ExitCode.AUTH
    assert a["last_success"]["at"] <= between <= b["last_success"]["at"]


def test_status_with_a_mistyped_duckdb_file_says_so_and_creates_nothing(synced: Synced) -> None:
    typo = synced.root / "warehuose.duckdb"
    args = ["status", "--pipelines-dir", str(synced.root / "pipelines"), "--duckdb-file", str(typo)]
    result = cli(args, synced.root, token=None)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"no DuckDB file at {typo}" in line
    assert str(synced.root / "warehouse.duckdb") in line  # where the last run wrote
    assert not typo.exists()


def test_status_of_an_unknown_pipeline_is_a_config_error(tmp_path: Path) -> None:
    result = cli(status_args(tmp_path, "--pipeline-name", "nope"), tmp_path, token=None)
    assert result.returncode == ExitCode.CONFIG
    assert "no pipeline named 'nope'" in result.stderr


def test_a_destination_without_credentials_stops_before_extracting(
    emulator, tmp_path: Path
) -> None:
    """Redshift (merged by delete-insert) with no credentials configured: a configuration
    error naming them, before any record is read."""
    result = cli(
        run_args(emulator, tmp_path, "--no-progress", "--destination", "redshift"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert "missing configuration" in result.stderr and "credentials" in result.stderr
    read = emulator.control.stats.snapshot()["endpoints"]
    assert set(read) <= {"GET /me"}, f"read records before failing: {sorted(read)}"


def test_an_unreachable_destination_stops_before_extracting(emulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = {"DESTINATION__POSTGRES__CREDENTIALS": f"postgresql://u:p@127.0.0.1:{port}/db"}
    result = cli(
        run_args(emulator, tmp_path, "--no-progress", "--destination", "postgres"),
        tmp_path,
        emulator.token,
        dsn,
    )
    assert result.returncode == ExitCode.DESTINATION_UNAVAILABLE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("intercom-sync: error: the destination could not be reached")
    assert "Connection refused" in lines[-1]
    read = emulator.control.stats.snapshot()["endpoints"]
    assert set(read) <= {"GET /me"}, f"read records before failing: {sorted(read)}"


def test_a_duckdb_file_another_process_holds_stops_before_extracting(
    emulator, tmp_path: Path
) -> None:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")):  # e.g. a SQL client writing to it
        result = cli(run_args(emulator, tmp_path, "--no-progress"), tmp_path, emulator.token)
    assert result.returncode == ExitCode.DESTINATION_UNAVAILABLE, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "another process has the DuckDB file open" in line
    assert set(emulator.control.stats.snapshot()["endpoints"]) <= {"GET /me"}


def test_transform_on_a_destination_without_dbt_models_stops_before_syncing(
    emulator, tmp_path: Path
) -> None:
    sqlite = {"DESTINATION__SQLALCHEMY__CREDENTIALS": f"sqlite:///{tmp_path / 'w.sqlite'}"}
    result = cli(
        run_args(emulator, tmp_path, "--no-progress", "--destination", "sqlalchemy", "--transform"),
        tmp_path,
        emulator.token,
        sqlite,
    )
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert "--transform supports duckdb, postgres; not sqlalchemy" in result.stderr
    assert emulator.control.stats.snapshot()["total"] == 0, "nothing is read from Intercom"


def test_a_destination_that_cannot_merge_is_refused(tmp_path: Path) -> None:
    @dlt.destination(name="sink_without_merge")
    def sink(items: Any, table: Any) -> None:
        raise AssertionError("nothing may be loaded")

    pipeline = dlt.pipeline("no_merge", destination=sink, pipelines_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="neither upsert nor delete-insert"):
        merge_strategy_for(pipeline)


def test_every_exit_code_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    for code in ExitCode:
        assert re.search(rf"\|\s*`?{int(code)}`?\s*\|", section), f"exit code {code!r}"


def test_schema_lists_every_loaded_table_and_column(synced: Synced) -> None:
    tmp_path = synced.root
    pipelines_dir = str(tmp_path / "pipelines")
    text = cli(["schema", "--pipelines-dir", pipelines_dir], tmp_path, token=None)
    markdown = cli(
        ["schema", "--pipelines-dir", pipelines_dir, "--format", "markdown"], tmp_path, None
    )
    assert text.returncode == 0 and markdown.returncode == 0, text.stderr + markdown.stderr
    schema = dlt.attach(pipeline_name="intercom", pipelines_dir=pipelines_dir).default_schema
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        loaded = {
            (table, column)
            for table, column in con.sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'intercom_raw' AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
            ).fetchall()
            if not table.startswith("_dlt")
        }
    assert {t for t, _ in loaded} == set(schema.data_table_names(seen_data_only=True))
    for table, column in loaded:  # every column the warehouse really has is documented
        assert f"#### `{table}`" in markdown.stdout
        assert f"| `{column}` |" in markdown.stdout
    assert "contacts  (upsert on `id`)" in text.stdout


def test_table_reference_equals_the_schema_command(tmp_path: Path) -> None:
    section = reference_section((REPO / "docs" / "tables.md").read_text())
    assert section is not None, "docs/tables.md lacks the <!-- schema:start --> section"
    assert section == demo_schema_markdown(tmp_path), (
        "docs/tables.md is stale: run "
        "`.venv/bin/python -m pipelines.reporting.schema_doc --update docs/tables.md`"
    )


def test_two_workspaces_side_by_side_in_one_duckdb(emulator_factory, tmp_path: Path) -> None:
    workspaces = {
        "acme": emulator_factory(config=WorldConfig(seed=21, scale="tiny")),
        "globex": emulator_factory(config=WorldConfig(seed=22, scale="tiny")),
    }
    for name, emu in workspaces.items():
        args = run_args(emu, tmp_path, "--no-progress", "--pipeline-name", name, "--dataset", name)
        args += ["--resources", "contacts,companies"]
        result = cli(args, tmp_path, emu.token)
        assert result.returncode == 0, result.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:

        def rows(dataset: str, table: str) -> list[dict]:
            relation = con.sql(f"SELECT * FROM {dataset}.{table}")
            return [dict(zip(relation.columns, r, strict=True)) for r in relation.fetchall()]

        contacts_rows = {name: len(rows(name, "contacts")) for name in workspaces}
        for name, emu in workspaces.items():
            live = [r for r in rows(name, "contacts") if r["id"] not in emu.world.merged_contacts]
            assert mismatches(live, truth(emu, "contacts")) == [], name
            assert mismatches(rows(name, "companies"), truth(emu, "companies")) == [], name
            assert pairs(rows(name, "contacts__tags"), "contact_id", "tag_id") == pairs(
                truth(emu, "contacts__tags"), "contact_id", "tag_id"
            )
    for name in workspaces:  # each workspace has its own state and status
        # No destination or file given: status finds both from the pipeline and its history.
        status = collect_status(name, str(tmp_path / "pipelines"))
        assert status["dataset"] == name
        assert status["resources"]["contacts"]["rows"] == contacts_rows[name]


def test_dlt_pipeline_cli_inspects_our_pipeline(synced: Synced) -> None:
    tmp_path = synced.root
    pipelines_dir = str(tmp_path / "pipelines")
    env = clean_env()

    def dlt_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "dlt"), "pipeline", "--pipelines-dir", pipelines_dir, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    listed = dlt_cli("--list-pipelines")
    assert listed.returncode == 0, listed.stderr
    assert "intercom" in listed.stdout
    for command in ("info", "trace", "schema"):
        result = dlt_cli("intercom", command)
        assert result.returncode == 0, f"dlt pipeline intercom {command}: {result.stderr}"
    assert "contacts" in result.stdout  # the schema YAML
