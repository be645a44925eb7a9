"""A newcomer's first hour with `intercom-sync` (issue 19): each trap and rough edge a new
user met, driven through the CLI as a subprocess against the emulator over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.world.truth import truth_rows
from pipelines.exit_codes import ExitCode
from tests.helpers.cli import REPO, clean_env, cli, raw_table_rows, run_args, status_args
from tests.helpers.retries import SHORT_BACKOFF


def _requests(emu) -> int:
    return emu.control.stats.snapshot()["total"]


def _own_run_args(emu, tmp_path: Path, *more: str) -> list[str]:
    """`run` without `--duckdb-file` (the DuckDB file comes from elsewhere)."""
    return [
        "run",
        "--base-url",
        emu.base_url,
        "--pipelines-dir",
        str(tmp_path / "pipelines"),
        "--no-progress",
        *more,
    ]


# -- 1. status after failed runs -------------------------------------------------------------


def test_status_after_runs_that_all_failed_on_configuration_shows_them(
    emulator, tmp_path: Path
) -> None:
    for _ in range(2):
        failed = cli(run_args(emulator, tmp_path, "--api-version", "1.0"), tmp_path, emulator.token)
        assert failed.returncode == ExitCode.CONFIG, failed.stderr
    status = cli(status_args(tmp_path), tmp_path, None)
    assert status.returncode == 0, status.stderr
    assert "nothing loaded yet (2 run(s), all failed" in status.stdout
    assert status.stdout.count("(exit 2): --api-version 1.0: not supported") == 2
    as_json = cli(status_args(tmp_path, "--json"), tmp_path, None)
    report = json.loads(as_json.stdout)
    assert report["loaded"] is False and report["last_failure"]["exit_code"] == ExitCode.CONFIG


def test_status_after_a_first_run_that_failed_mid_extraction_shows_it(
    emulator_factory, tmp_path: Path
) -> None:
    """The only resource of the first run failing every retry, after dlt made the pipeline
    folder: no table loaded (`status` used to end in `SchemaNotFoundError`); status names the
    resource, though it has no table."""
    emu = emulator_factory(faults={"GET /admins": {"error_rate": 1.0}})
    no_retry = {"SOURCES__INTERCOM__MAX_RETRIES": "0"}
    args = run_args(emu, tmp_path, "--no-progress", "--resources", "admins")
    failed = cli(args, tmp_path, emu.token, no_retry)
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert (tmp_path / "pipelines").is_dir()
    status = cli(status_args(tmp_path), tmp_path, None)
    assert status.returncode == 0, status.stderr
    assert "(exit 8): admins failed and have no table yet" in status.stdout
    assert "GET /admins" in status.stdout
    (row,) = [line.split() for line in status.stdout.splitlines() if line.startswith("  admins")]
    assert row[1:5] == ["-", "-", "-", "never"] and row[-1] == "8)", row


# -- 5. dlt's own DuckDB setting -------------------------------------------------------------


def test_dlts_duckdb_credentials_name_the_file_unless_duckdb_file_is_given(
    emulator, tmp_path: Path
) -> None:
    from_env = tmp_path / "from_env.duckdb"
    env = {"DESTINATION__DUCKDB__CREDENTIALS": str(from_env)}
    result = cli(
        _own_run_args(emulator, tmp_path, "--resources", "tags"), tmp_path, emulator.token, env
    )
    assert result.returncode == 0, result.stderr
    assert from_env.is_file()
    assert not (tmp_path / "intercom.duckdb").exists()
    # status finds it from the run history, with the same setting or without
    status = cli(["status", "--pipelines-dir", str(tmp_path / "pipelines")], tmp_path, None)
    assert status.returncode == 0, status.stderr
    # --duckdb-file wins over dlt's setting
    flag = tmp_path / "flag.duckdb"
    args = _own_run_args(emulator, tmp_path, "--resources", "tags", "--duckdb-file", str(flag))
    result = cli(args, tmp_path, emulator.token, env)
    assert result.returncode == 0, result.stderr
    assert flag.is_file()


def test_a_duckdb_database_in_dlts_config_toml_is_used(emulator, tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[destination.duckdb.credentials]\ndatabase = "toml.duckdb"\n'
        'global_config = { memory_limit = "256MB" }\n'
    )
    result = cli(_own_run_args(emulator, tmp_path, "--resources", "tags"), tmp_path, emulator.token)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "toml.duckdb").is_file()
    assert not (tmp_path / "intercom.duckdb").exists()


# -- 6. --transform without dbt ----------------------------------------------------------------


def test_transform_without_dbt_fails_before_any_request(emulator, tmp_path: Path) -> None:
    # An empty `dbt` package ahead of the real one: dbt is "not installed" for this process.
    shadow = tmp_path / "no_dbt"
    (shadow / "dbt").mkdir(parents=True)
    (shadow / "dbt" / "__init__.py").write_text("")
    env = {"PYTHONPATH": f"{shadow}:{REPO}"}
    result = cli(run_args(emulator, tmp_path, "--transform"), tmp_path, emulator.token, env)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("intercom-sync: error: --transform needs dbt-core and dbt-duckdb"), line
    assert "pip install" in line
    assert _requests(emulator) == 0
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_report_build_models_without_dbt_fails_before_building(tmp_path: Path) -> None:
    import duckdb

    shadow = tmp_path / "no_dbt"  # as above: dbt is "not installed" for this process
    (shadow / "dbt").mkdir(parents=True)
    (shadow / "dbt" / "__init__.py").write_text("")
    env = {"PYTHONPATH": f"{shadow}:{REPO}"}
    db, html = tmp_path / "warehouse.duckdb", tmp_path / "report.html"
    duckdb.connect(str(db)).close()
    args = ["report", "--duckdb-file", str(db), "--output", str(html), "--build-models"]
    result = cli(args, tmp_path, None, env)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "intercom-sync: error: --build-models needs dbt-core and dbt-duckdb"
    ), line
    assert "pip install" in line
    assert "dbt:" not in result.stdout and not html.exists()


# -- 7. unsupported API versions ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "2.8", "2.17", "Preview", "two"])
def test_an_unsupported_api_version_fails_before_any_request_or_file(
    emulator, tmp_path: Path, version: str
) -> None:
    result = cli(run_args(emulator, tmp_path, "--api-version", version), tmp_path, emulator.token)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"--api-version {version}: not supported" in line
    assert "2.9 to 2.16" in line and "tickets need 2.10 or newer" in line
    assert _requests(emulator) == 0
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_the_same_versions_are_stated_in_help_and_docs() -> None:
    from pipelines.run.api_versions import SUPPORTED_STATEMENT

    help_text = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--help"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    ).stdout
    assert " ".join(SUPPORTED_STATEMENT.split()) in " ".join(help_text.split())
    assert SUPPORTED_STATEMENT in (REPO / "docs" / "cli.md").read_text()


# -- 9. dlt's progress blocks only with -v ---------------------------------------------------


def test_dlt_progress_blocks_show_only_with_verbose(emulator, tmp_path: Path) -> None:
    quiet = cli(run_args(emulator, tmp_path), tmp_path, emulator.token)  # progress on
    assert quiet.returncode == 0, quiet.stderr
    assert "Sync finished." in quiet.stdout
    for dlt_block in ("----- Extract", "----- Normalize", "----- Load", "Resources:", "Jobs:"):
        assert dlt_block not in quiet.stderr, quiet.stderr
    verbose = cli(
        ["-v", *run_args(emulator, tmp_path, "--resources", "tags")], tmp_path, emulator.token
    )
    assert verbose.returncode == 0, verbose.stderr
    assert "----- Extract intercom -----" in verbose.stderr


def test_our_progress_is_one_line_per_period(caplog: pytest.LogCaptureFixture) -> None:
    """What a long run logs every 10 s instead of dlt's blocks (here with a period of 0)."""
    from pipelines.run.progress import OneLineProgress

    progress = OneLineProgress(log_period=0.0)
    with caplog.at_level("INFO", logger="intercom_sync"), progress("Extract intercom"):
        progress.update("Resources", 0, total=9)
        progress.update("contacts", 150)
        progress.update("conversations", 30)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[-1].startswith("Extract intercom: contacts 150, conversations 30 (")
    assert all("\n" not in line and "Resources" not in line for line in lines)


# -- 10. a destination without credentials: one line -----------------------------------------


def test_postgres_without_credentials_is_one_line_naming_the_setting(
    emulator, tmp_path: Path
) -> None:
    result = cli(
        run_args(emulator, tmp_path, "--no-progress", "--destination", "postgres"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == ExitCode.CONFIG, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("intercom-sync: error: missing configuration: credentials"), line
    assert "DESTINATION__POSTGRES__CREDENTIALS" in line
    assert "[destination.postgres]" in line


# -- 11. a closed stdout ---------------------------------------------------------------------


def test_status_into_a_closed_pipe_ends_without_a_traceback(emulator, tmp_path: Path) -> None:
    failed = cli(run_args(emulator, tmp_path, "--api-version", "1.0"), tmp_path, emulator.token)
    assert failed.returncode == ExitCode.CONFIG  # a history for status to print
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *status_args(tmp_path, "--json")],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # `| head` that has read enough, before status writes
    stderr = child.stderr.read()
    child.wait(timeout=120)
    assert child.returncode == ExitCode.OUTPUT_CLOSED, stderr
    assert stderr == ""


# -- 2, 13, 14. the demo: its own file only, a duckdb command, an inspectable pipeline -------


def _demo(tmp_path: Path, db: str) -> subprocess.CompletedProcess[str]:
    return cli(["demo", "--scale", "tiny", "--duckdb-file", db], tmp_path, None)


def test_demo_refuses_a_file_it_did_not_make_and_leaves_it_alone(tmp_path: Path) -> None:
    import duckdb

    users = tmp_path / "mine.duckdb"
    with duckdb.connect(str(users)) as con:  # the user's own database, at the demo's path
        con.sql("CREATE TABLE notes AS SELECT 'keep me' AS text")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    for path in (users, text_file):
        before = path.read_bytes()
        result = _demo(tmp_path, str(path))
        assert result.returncode == ExitCode.CONFIG, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert "was not made by `intercom-sync demo`" in line and "--duckdb-file" in line
        assert path.read_bytes() == before


def test_demo_replaces_its_own_file_and_leaves_a_duckdb_command_and_a_status(
    tmp_path: Path,
) -> None:
    first = _demo(tmp_path, "demo.duckdb")
    assert first.returncode == 0, first.stderr
    again = _demo(tmp_path, "demo.duckdb")  # its own file: replaced
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()

    explore = next(line for line in lines if line.startswith("Explore it yourself:"))
    command = explore.split(":", 1)[1].split()[0]
    assert Path(tmp_path, command).resolve() == Path(sys.executable).with_name("duckdb")
    query = subprocess.run(
        [command, "demo.duckdb", "-csv", "-c", "SELECT count(*) FROM intercom_raw.contacts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(query.stdout.splitlines()[-1]) > 0

    inspect = next(line for line in lines if line.startswith("Inspect the pipeline:"))
    status_command = inspect.split(":", 1)[1].split()
    assert Path(tmp_path, status_command[0]).resolve() == Path(sys.executable).with_name(
        "intercom-sync"
    )
    assert status_command[1] == "status"
    status = cli(status_command[1:], tmp_path, None)
    assert status.returncode == 0, status.stderr
    assert "pipeline intercom_demo → duckdb / intercom_raw" in status.stdout
    assert "contacts" in status.stdout


def test_the_duckdb_command_is_the_duckdb_version_installed() -> None:
    from importlib.metadata import version

    assert version("duckdb-cli") == version("duckdb")
    assert Path(sys.executable).with_name("duckdb").is_file()


# -- 3. a dead or mistyped host fails on the first attempt -----------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "api.intercom-typo.invalid"])
def test_a_dead_or_mistyped_host_fails_at_once_with_the_default_retries(
    tmp_path: Path, host: str
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        base_url = "http://" + host.format(port=sock.getsockname()[1])
    args = ["run", "--base-url", base_url, "--pipelines-dir", str(tmp_path / "p"), "--no-progress"]
    result = cli(args, tmp_path, "token-of-a-user")  # default max_retries (8)
    assert result.returncode == ExitCode.API_UNAVAILABLE, result.stderr
    (line,) = result.stderr.strip().splitlines()  # no retry lines before it
    assert base_url in line and "after 1 attempt(s)" in line and "base_url/region" in line


def test_the_waits_between_retries_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.run.construct import build_client
    from pipelines.run.options import SyncOptions
    from sources.intercom.retry import RetryPolicy

    options = SyncOptions(access_token="token-of-a-user", base_url="http://127.0.0.1:9")
    with build_client(options) as client:
        assert client.retry_policy == RetryPolicy(8, 1.0, 30.0)  # the defaults
    monkeypatch.setenv("SOURCES__INTERCOM__BACKOFF_BASE_S", "0.25")
    monkeypatch.setenv("SOURCES__INTERCOM__BACKOFF_MAX_S", "2")
    with build_client(options) as client:
        assert client.retry_policy == RetryPolicy(8, 0.25, 2.0)
        assert 1.0 <= client.retry_policy.backoff_s(4) <= 2.0  # 0.25 x 2^3, capped at 2


# -- 4. one endpoint out of retries: the others load --------------------------------------------


def _table_count(db: Path, table: str) -> int:
    return len(raw_table_rows(db, table) or [])


@pytest.mark.parametrize("error_rate", [1.0, 0.5])
def test_a_resource_out_of_retries_fails_alone_and_the_others_load(
    emulator_factory, tmp_path: Path, error_rate: float
) -> None:
    """With every fetch failing, or some (those that succeeded moved the cursor in the
    resource state as they were loaded: it must be put back, or the next run would skip the
    conversations that failed)."""
    emu = emulator_factory(faults={"GET /conversations/{id}": {"error_rate": error_rate}})
    one_retry = {"SOURCES__INTERCOM__MAX_RETRIES": "1" if error_rate == 1.0 else "0"}
    one_retry |= SHORT_BACKOFF
    db = tmp_path / "warehouse.duckdb"
    failed = cli(run_args(emu, tmp_path, "--no-progress"), tmp_path, emu.token, one_retry)
    assert failed.returncode == ExitCode.RESOURCES_FAILED, failed.stderr
    assert failed.stdout.startswith("Sync finished, except for: conversations")
    assert "FAILED (cursor kept, read again next run): conversations" in failed.stdout
    line = failed.stderr.strip().splitlines()[-1]
    assert line.startswith("intercom-sync: error: conversations failed and keep their cursor")
    assert "GET /conversations/" in line
    # the others loaded, their cursors moved; the failed one's did not
    contacts = len(list(truth_rows(emu.world, "contacts")))
    assert _table_count(db, "contacts") == contacts
    assert _table_count(db, "tickets") == len(list(truth_rows(emu.world, "tickets")))
    status = json.loads(cli(status_args(tmp_path, "--json"), tmp_path, None).stdout)
    assert status["resources"]["contacts"]["cursor"] is not None
    assert status["resources"]["contacts"]["last_success"] is not None
    conversations = status["resources"]["conversations"]
    assert conversations["cursor"] is None
    assert conversations["last_success"] is None
    assert conversations["last_failure"]["exit_code"] == ExitCode.RESOURCES_FAILED

    emu.control.update({"faults": None})  # the endpoint recovers
    again = cli(run_args(emu, tmp_path, "--no-progress"), tmp_path, emu.token, one_retry)
    assert again.returncode == 0, again.stderr
    assert _table_count(db, "conversations") == len(list(truth_rows(emu.world, "conversations")))
    assert _table_count(db, "contacts") == contacts


# -- 12. Ctrl-C during the load step ---------------------------------------------------------


def test_ctrl_c_during_the_load_says_so_and_what_landed(emulator, tmp_path: Path) -> None:
    import signal

    # -v: dlt's progress blocks, whose "Load" header says the load step has begun
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "-v", *run_args(emulator, tmp_path)],
        cwd=tmp_path,
        env=clean_env(emulator.token),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stderr is not None
    for line in child.stderr:
        if "----- Load intercom in " in line:
            child.send_signal(signal.SIGINT)
            break
    else:
        raise AssertionError("the load step never began")
    last = child.stderr.read().strip().splitlines()[-1]
    child.wait(timeout=120)
    assert child.returncode == ExitCode.INTERRUPTED, last
    assert last.startswith("intercom-sync: interrupted during the load step, after "), last
    assert "load jobs had landed" in last and last.endswith("; the next run resumes safely")
    history = json.loads(cli(status_args(tmp_path, "--json"), tmp_path, None).stdout)
    assert "during the load step" in history["last_failure"]["message"]
    again = cli(run_args(emulator, tmp_path, "--no-progress"), tmp_path, emulator.token)
    assert again.returncode == 0, again.stderr


# -- 8, 15. the Python snippet's pipeline name; the demo's files are git-ignored -------------


def test_the_python_snippet_names_a_pipeline_of_its_own() -> None:
    import re

    from pipelines.defaults import DEFAULT_PIPELINE

    doc = (REPO / "docs" / "cli.md").read_text()
    snippet = doc.split("```python", 1)[1].split("```", 1)[0]
    (name,) = re.findall(r'dlt\.pipeline\(\s*"([^"]+)"', snippet)
    assert name != DEFAULT_PIPELINE


@pytest.mark.parametrize(
    "path", ["intercom-demo.duckdb", "intercom-demo-report.html", ".intercom-demo/x.runs.jsonl"]
)
def test_the_demos_files_are_git_ignored(path: str) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, f"{path} is not in .gitignore"
