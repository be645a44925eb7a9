"""`intercom-sync` end to end: real subprocesses against the emulator over HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from emulator.world.truth import truth_rows
from pipelines.defaults import DEFAULT_DATASET
from pipelines.errors import ConfigError
from pipelines.exit_codes import ExitCode
from pipelines.run.history import read_history
from pipelines.run.options import SyncOptions
from pipelines.run.sync import run_sync
from tests.helpers.cli import clean_env, cli, quiet_run_args, raw_table_rows, status_args


def _count(tmp_path: Path, table: str) -> int:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(f"SELECT count(*) FROM {DEFAULT_DATASET}.{table}").fetchone()[0]


def test_run_loads_then_status_reports_cursors(emulator, tmp_path: Path) -> None:
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    assert "rows loaded" in result.stdout
    assert "requests:" in result.stdout
    assert _count(tmp_path, "contacts") == len(list(truth_rows(emulator.world, "contacts")))
    assert emulator.token not in result.stdout + result.stderr
    # The token check and the source's workspace facts share one `/me`.
    me_calls = emulator.control.stats.snapshot()["endpoints"].get("GET /me", {})
    assert sum(me_calls.values()) == 1

    status = cli(status_args(tmp_path, "--json"), tmp_path, emulator.token)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["last_successful_load"]["load_id"]
    assert report["resources"]["contacts"]["cursor"] is not None
    assert report["last_run"]["ok"] is True


def test_resources_the_api_version_lacks_are_named_and_not_run(emulator, tmp_path: Path) -> None:
    """On 2.9 the content lists of newer versions are skipped with one line naming them; one
    asked for by name is a configuration error naming the version that has it."""
    older = ("--api-version", "2.9")
    result = cli(
        quiet_run_args(emulator, tmp_path, *older, "--resources", "subscription_types"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == 0, result.stderr
    assert "not on Intercom API 2.9, skipped: ticket_states, away_status_reasons" in result.stderr
    assert _count(tmp_path, "subscription_types") == len(
        emulator.world.content["subscription_types"]
    )
    asked = cli(
        quiet_run_args(emulator, tmp_path, *older, "--resources", "macros"),
        tmp_path,
        emulator.token,
    )
    assert asked.returncode == ExitCode.CONFIG
    assert (
        "Intercom API 2.9 has no macros endpoint (`GET /macros` exists from 2.16)" in asked.stderr
    )


def test_an_opt_in_named_in_resources_runs_its_parent_with_it(emulator, tmp_path: Path) -> None:
    """`--resources conversation_handling_events` syncs conversations and their handling
    events (one read per conversation), not side conversations; a wrong `--include` name is a
    configuration error naming the opt-ins."""
    args = quiet_run_args(emulator, tmp_path, "--resources", "conversation_handling_events")
    result = cli(args, tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    assert _count(tmp_path, "conversations") == len(
        list(truth_rows(emulator.world, "conversations"))
    )
    events = list(truth_rows(emulator.world, "conversation_handling_events"))
    assert events and _count(tmp_path, "conversation_handling_events") == len(events)
    endpoints = emulator.control.stats.snapshot()["endpoints"]
    assert endpoints["GET /conversations/{id}/handling_events"]["200"] == len(
        list(truth_rows(emulator.world, "conversations"))
    )
    assert "GET /conversations/{id}/side_conversations" not in endpoints
    # call_transcripts runs `calls`: one search per 20 conversations with a call
    args = quiet_run_args(emulator, tmp_path, "--resources", "call_transcripts")
    result = cli(args, tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    transcripts = list(truth_rows(emulator.world, "call_transcripts"))
    assert _count(tmp_path, "calls") == len(list(truth_rows(emulator.world, "calls")))
    assert transcripts and _count(tmp_path, "call_transcripts") == len(transcripts)
    wrong = cli(
        quiet_run_args(emulator, tmp_path, "--include", "handling"), tmp_path, emulator.token
    )
    assert wrong.returncode == ExitCode.CONFIG
    assert "include = handling: not an opt-in resource; choose from" in wrong.stderr


def test_missing_token_is_a_config_error(emulator, tmp_path: Path) -> None:
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, token=None)
    assert result.returncode == ExitCode.CONFIG
    assert "INTERCOM_ACCESS_TOKEN" in result.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    "token",
    ["tok\x01secret-123", "s\u00e9cret-123", "Bearer secret-123"],
    ids=["control-character", "non-ascii", "bearer-prefix"],
)
def test_a_malformed_token_is_a_config_error_that_does_not_show_it(
    emulator, tmp_path: Path, token: str
) -> None:
    """A token no HTTP header can carry as it is: named as the problem, not sent (it was a
    misleading 400 from the server, or an unexpected UnicodeEncodeError)."""
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, token=token)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert "copied whole and alone" in result.stderr
    assert "secret-123" not in result.stdout + result.stderr
    assert emulator.control.stats.snapshot()["total"] == 0  # nothing was sent
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_invalid_token_is_an_auth_error_before_any_data_work(emulator, tmp_path: Path) -> None:
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, token="not-the-token-123")
    assert result.returncode == ExitCode.AUTH, result.stderr
    assert "token" in result.stderr.lower()
    assert "not-the-token-123" not in result.stdout + result.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--start-date", "last tuesday"], "start date"),
        (["--start-date", "2999-01-01"], "future"),
        (["--resources", "contacts,unicorns"], "unicorns"),
        (["--api-version", "9.99"], "9.99"),
        # dlt would rename these schemas (and warn only): the dbt models would miss them
        (["--dataset", "Acme"], "did you mean 'acme'"),
        (["--dataset", "acme-prod"], "did you mean 'acme_prod'"),
        # a pipeline name names files in the pipelines folder: never a path out of it
        (["--pipeline-name", "../outside"], "not a valid file name"),
    ],
)
def test_bad_input_is_a_config_error(emulator, tmp_path: Path, extra, needle) -> None:
    result = cli(quiet_run_args(emulator, tmp_path, *extra), tmp_path, emulator.token)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # a clear line, not a traceback
    assert not list(tmp_path.glob("*.runs.jsonl"))  # nothing written beside the folder


def test_run_sync_refuses_a_bad_name_before_writing_anything(tmp_path: Path) -> None:
    """The same checks for code that calls `run_sync` directly (a scheduler's task)."""
    pipelines = tmp_path / "pipelines"
    for options in (
        SyncOptions(pipeline_name="../outside", pipelines_dir=str(pipelines)),
        SyncOptions(dataset="Intercom Raw", pipelines_dir=str(pipelines)),
    ):
        with pytest.raises(ConfigError):
            run_sync(options)
    assert list(tmp_path.rglob("*")) == []


def _plant_stale_row(tmp_path: Path, table: str) -> None:
    """A row Intercom does not have (as a bug or a manual edit would leave behind)."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            f"INSERT INTO {DEFAULT_DATASET}.{table} (id, _dlt_load_id, _dlt_id) "
            "VALUES ('stale-row', 'x', 'stale-row')"
        )


def _has_stale_row(tmp_path: Path, table: str) -> bool:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        query = f"SELECT count(*) FROM {DEFAULT_DATASET}.{table} WHERE id = 'stale-row'"
        return con.sql(query).fetchone()[0] == 1


def test_full_refresh_of_chosen_resources_leaves_the_others_alone(emulator, tmp_path: Path) -> None:
    assert cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token).returncode == 0
    for table in ("contacts", "conversations"):
        _plant_stale_row(tmp_path, table)
    args = quiet_run_args(emulator, tmp_path, "--resources", "contacts", "--full-refresh")
    result = cli(args, tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    # contacts were dropped and loaded again; conversations (and their cursor) untouched
    assert not _has_stale_row(tmp_path, "contacts")
    assert _count(tmp_path, "contacts") == len(list(truth_rows(emulator.world, "contacts")))
    assert _has_stale_row(tmp_path, "conversations")
    assert _count(tmp_path, "conversation_parts") > 0
    again = cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token)
    assert again.returncode == 0, again.stderr
    assert "conversations " not in again.stdout  # incremental: no conversation reloaded

    # Without --resources, a full refresh drops and reloads every table.
    result = cli(quiet_run_args(emulator, tmp_path, "--full-refresh"), tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    assert not _has_stale_row(tmp_path, "conversations")
    assert _count(tmp_path, "conversations") == len(
        list(truth_rows(emulator.world, "conversations"))
    )


def test_a_start_date_a_cursor_makes_moot_is_warned_about(emulator, tmp_path: Path) -> None:
    first = cli(
        quiet_run_args(
            emulator, tmp_path, "--resources", "contacts,tags", "--start-date", "2025-01-01"
        ),
        tmp_path,
        emulator.token,
    )
    assert first.returncode == 0, first.stderr
    assert "--start-date is ignored" not in first.stderr  # a first run: it applies
    later = cli(
        quiet_run_args(emulator, tmp_path, "--start-date", "2025-06-01"), tmp_path, emulator.token
    )
    assert later.returncode == 0, later.stderr
    assert "--start-date is ignored for contacts: they already have a cursor" in later.stderr


def test_the_duckdb_files_folder_is_created(emulator, tmp_path: Path) -> None:
    target = tmp_path / "data" / "warehouses" / "intercom.duckdb"
    args = quiet_run_args(emulator, tmp_path, "--duckdb-file", str(target), "--resources", "tags")
    result = cli(args, tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    assert target.is_file()


def test_demo_refuses_an_unknown_scale(tmp_path: Path) -> None:
    result = cli(["demo", "--scale", "huge"], tmp_path, None)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert "invalid choice: 'huge'" in result.stderr


def test_unreachable_base_url_is_api_unavailable(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [
        "run",
        "--base-url",
        f"http://127.0.0.1:{port}",
        "--pipelines-dir",
        str(tmp_path / "p"),
        "--no-progress",
    ]
    result = cli(args, tmp_path, "tok", {"SOURCES__INTERCOM__MAX_RETRIES": "1"})
    assert result.returncode == ExitCode.API_UNAVAILABLE, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


def test_second_run_while_one_holds_the_lock_is_refused(emulator, tmp_path: Path) -> None:
    from pipelines.run.lock import pipeline_lock

    pipelines_dir = tmp_path / "pipelines"
    with pipeline_lock(pipelines_dir, "intercom"):
        result = cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token)
    assert result.returncode == ExitCode.LOCKED, result.stderr
    assert "in progress" in result.stderr
    # Refused runs are not failures of the pipeline: status history stays empty.
    assert read_history(pipelines_dir, "intercom") == []
    # The lock dies with its holder: the next run goes through.
    result = cli(
        quiet_run_args(emulator, tmp_path, "--resources", "admins"), tmp_path, emulator.token
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "interrupted"),
        (signal.SIGTERM, ExitCode.TERMINATED, "terminated (SIGTERM)"),
    ],
)
def test_a_stopped_run_says_so_records_it_and_the_next_run_completes(
    tmp_path: Path, signum: int, code: ExitCode, said: str
) -> None:
    """Ctrl-C, or SIGTERM from a scheduler's timeout, in the middle of extraction."""
    with running_emulator(WorldConfig(seed=3, scale="tiny"), latency_ms=150) as emu:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *quiet_run_args(emu, tmp_path)],
            cwd=tmp_path,
            env=clean_env(emu.token),
            stderr=subprocess.PIPE,
            text=True,
            # A job started in the background by a shell (e.g. `make test &`) inherits SIGINT
            # ignored, and Python then keeps it ignored: give the child the default back.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while emu.control.stats.snapshot()["total"] < 5:  # extracting (signal handlers set)
            assert child.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        child.send_signal(signum)
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == code, stderr
        assert (
            stderr.strip().splitlines()[-1] == f"intercom-sync: {said}; the next run resumes safely"
        )
        (stopped,) = read_history(tmp_path / "pipelines", "intercom")
        assert stopped.exit_code == code and not stopped.ok
        emu.control.update({"latency_ms": 0})  # the signal has landed: no need to be slow now
        again = cli(quiet_run_args(emu, tmp_path), tmp_path, emu.token)
        assert again.returncode == 0, again.stderr
        assert _count(tmp_path, "contacts") == len(list(truth_rows(emu.world, "contacts")))


def test_demo_syncs_the_emulator_and_answers_a_question(tmp_path: Path) -> None:
    result = cli(
        ["demo", "--scale", "tiny", "--duckdb-file", str(tmp_path / "demo.duckdb")],
        tmp_path,
        token=None,
    )
    assert result.returncode == 0, result.stderr
    assert "rows loaded" in result.stdout
    assert "median_minutes_to_first_reply" in result.stdout
    assert "CAST(" not in result.stdout  # its example joins teams by id: ids are text everywhere
    with duckdb.connect(str(tmp_path / "demo.duckdb"), read_only=True) as con:
        assert con.sql(f"SELECT count(*) FROM {DEFAULT_DATASET}.conversations").fetchone()[0] > 0


def test_a_parent_table_named_in_resources_is_read_with_its_parent(
    emulator, tmp_path: Path
) -> None:
    """`company_notes` is read by `companies`, for the companies it loads: naming it selects
    its parent and nothing else."""
    result = cli(
        quiet_run_args(emulator, tmp_path, "--resources", "company_notes"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == 0, result.stderr
    notes = list(truth_rows(emulator.world, "company_notes"))
    assert notes and _count(tmp_path, "company_notes") == len(notes)
    assert _count(tmp_path, "companies") == len(emulator.world.companies)
    assert raw_table_rows(tmp_path / "warehouse.duckdb", "contacts") is None
