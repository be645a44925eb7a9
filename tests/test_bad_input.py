"""Bad input through `intercom-sync run` (subprocesses against the emulator), the cases that
tests/pipelines/test_cli.py does not already cover (missing/invalid token, malformed or future
start date, unknown resource, unknown API version, unreachable base URL, the lock, a table
format on DuckDB, an unknown destination or its missing client library, a pipelines folder
that cannot be created): each
fails with a clear line naming the fix and a documented exit code, before touching data, and
leaves an existing warehouse as it was; type changes and new fields load without loss."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig, ops
from pipelines.defaults import DEFAULT_DATASET
from pipelines.exit_codes import ExitCode
from tests.helpers.cli import cli, quiet_run_args
from tests.helpers.retries import SHORT_BACKOFF

ONE_RETRY = {"SOURCES__INTERCOM__MAX_RETRIES": "1", **SHORT_BACKOFF}


def _counts(tmp_path: Path) -> dict[str, int]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        tables = con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            params=[DEFAULT_DATASET],
        ).fetchall()
        return {
            t: con.sql(f'SELECT count(*) FROM {DEFAULT_DATASET}."{t}"').fetchone()[0]
            for (t,) in tables
        }


def _assert_one_clear_line(result, code: ExitCode, *needles: str) -> None:
    """The documented exit code, and one error line (the last; earlier lines may be the
    retry log) that names the fix — no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("intercom-sync: error:"), line
    for needle in needles:
        assert needle in line, line


@pytest.fixture
def synced(emulator, tmp_path: Path) -> Iterator[dict[str, int]]:
    """A warehouse from one good run; tests check a failing run leaves it unchanged."""
    result = cli(
        quiet_run_args(emulator, tmp_path, "--resources", "contacts,admins"),
        tmp_path,
        emulator.token,
    )
    assert result.returncode == 0, result.stderr
    yield _counts(tmp_path)


def test_revoked_token_fails_before_any_data_work(emulator, tmp_path: Path, synced) -> None:
    emulator.control.update({"revoked_tokens": [emulator.token]})
    before = emulator.control.stats.snapshot()["total"]
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token)
    _assert_one_clear_line(result, ExitCode.AUTH, "token", "SOURCES__INTERCOM__ACCESS_TOKEN")
    assert emulator.token not in result.stdout + result.stderr
    assert emulator.control.stats.snapshot()["total"] - before == 1  # only GET /me
    assert _counts(tmp_path) == synced


def test_a_table_format_on_duckdb_is_refused_before_any_data_work(
    emulator, tmp_path: Path, synced
) -> None:
    before = emulator.control.stats.snapshot()["total"]
    result = cli(
        quiet_run_args(emulator, tmp_path, "--table-format", "delta"), tmp_path, emulator.token
    )
    _assert_one_clear_line(result, ExitCode.CONFIG, "--table-format delta", "filesystem")
    assert emulator.control.stats.snapshot()["total"] - before == 1  # only GET /me
    assert _counts(tmp_path) == synced


def test_an_unknown_destination_is_a_configuration_error(emulator, tmp_path: Path) -> None:
    args = quiet_run_args(emulator, tmp_path, "--destination", "warehouse9")
    result = cli(args, tmp_path, emulator.token)
    _assert_one_clear_line(
        result, ExitCode.CONFIG, "unknown destination 'warehouse9'", "DESTINATION__WAREHOUSE9__"
    )
    assert set(emulator.control.stats.snapshot()["endpoints"]) <= {"GET /me"}


def test_a_destination_whose_client_library_is_missing_names_the_install(
    emulator, tmp_path: Path
) -> None:
    try:
        installed = importlib.util.find_spec("google.cloud.bigquery") is not None
    except ModuleNotFoundError:  # google.cloud itself is missing
        installed = False
    if installed:
        pytest.skip("BigQuery's client library is installed here: nothing is missing")
    bigquery = {
        "DESTINATION__BIGQUERY__CREDENTIALS__PROJECT_ID": "p",
        "DESTINATION__BIGQUERY__CREDENTIALS__PRIVATE_KEY": "k",
        "DESTINATION__BIGQUERY__CREDENTIALS__CLIENT_EMAIL": "loader@p.iam.gserviceaccount.com",
    }
    args = quiet_run_args(emulator, tmp_path, "--destination", "bigquery")
    result = cli(args, tmp_path, emulator.token, bigquery)
    _assert_one_clear_line(result, ExitCode.CONFIG, "not installed", 'pip install "dlt[bigquery]"')
    assert set(emulator.control.stats.snapshot()["endpoints"]) <= {"GET /me"}


def test_folders_that_cannot_be_created_are_a_configuration_error(emulator, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = quiet_run_args(emulator, tmp_path, "--pipelines-dir", str(blocker / "pipelines"))
    result = cli(args, tmp_path, emulator.token)
    _assert_one_clear_line(result, ExitCode.CONFIG, "cannot create the pipelines folder")
    assert emulator.control.stats.snapshot()["total"] == 0

    args = quiet_run_args(emulator, tmp_path, "--duckdb-file", str(blocker / "w.duckdb"))
    result = cli(args, tmp_path, emulator.token)
    _assert_one_clear_line(result, ExitCode.CONFIG, "cannot create the DuckDB file's folder")
    assert emulator.control.stats.snapshot()["total"] == 0


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SOURCES__INTERCOM__MAX_CONCURRENCY": "0"}, "max_concurrency = 0 must be at least 1"),
        ({"SOURCES__INTERCOM__TIMEOUT": "0"}, "timeout = 0.0 must be at least"),
        ({"SOURCES__INTERCOM__BACKOFF_BASE_S": "-1"}, "backoff_base_s = -1.0 must be at least 0"),
        ({"SOURCES__INTERCOM__BACKOFF_MAX_S": "soon"}, "backoff_max_s = 'soon' is not a valid"),
        (
            {"SOURCES__INTERCOM__PAGE_SIZE": "1000"},
            "page_size = 1000: Intercom pages hold 1 to 150",
        ),
        ({"SOURCES__INTERCOM__PAGE_SIZE": "many"}, "the configured page_size is not a valid int"),
        ({"SOURCES__INTERCOM__BASE_URL": "api.intercom.io"}, "is not an http(s) URL"),
    ],
)
def test_a_setting_out_of_range_is_a_configuration_error(
    emulator, tmp_path: Path, env: dict[str, str], needle: str
) -> None:
    args = [
        a for a in quiet_run_args(emulator, tmp_path) if a not in ("--base-url", emulator.base_url)
    ]
    if "SOURCES__INTERCOM__BASE_URL" not in env:
        args += ["--base-url", emulator.base_url]
    result = cli(args, tmp_path, emulator.token, env)
    _assert_one_clear_line(result, ExitCode.CONFIG, needle)
    assert set(emulator.control.stats.snapshot()["endpoints"]) <= {"GET /me"}


def test_a_token_of_another_region_names_the_region(emulator, tmp_path: Path) -> None:
    # A token of an EU workspace sent to the US host is simply unknown there: 401.
    result = cli(quiet_run_args(emulator, tmp_path, "--region", "eu"), tmp_path, "eu-token-xyz")
    _assert_one_clear_line(result, ExitCode.AUTH, "region")


def test_a_version_lacking_an_endpoint_says_which_version_has_it(tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=3, scale="tiny"), api_version="2.9") as emu:
        args = quiet_run_args(emu, tmp_path, "--api-version", "2.9", "--resources", "tickets")
        result = cli(args, tmp_path, emu.token)
    _assert_one_clear_line(result, ExitCode.CONFIG, "2.10", "tickets")


def test_200_answers_that_are_not_json_fail_as_unavailable(emulator, tmp_path: Path, synced):
    emulator.control.update({"faults": {"GET /me": {"malformed_rate": 1.0}}})
    result = cli(quiet_run_args(emulator, tmp_path), tmp_path, emulator.token, ONE_RETRY)
    _assert_one_clear_line(result, ExitCode.API_UNAVAILABLE, "GET /me", "not JSON")
    assert _counts(tmp_path) == synced


class _HtmlEverywhere(http.server.BaseHTTPRequestHandler):
    """A captive portal / wrong host: 200 with an HTML page for every request."""

    def do_GET(self) -> None:
        body = b"<html><body>Welcome to the hotel wifi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_base_url_answering_html_with_200_fails_naming_it(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlEverywhere)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        args = [
            "run",
            "--base-url",
            base_url,
            "--pipelines-dir",
            str(tmp_path / "p"),
            "--duckdb-file",
            str(tmp_path / "w.duckdb"),
            "--no-progress",
        ]
        result = cli(args, tmp_path, "some-token-123", ONE_RETRY)
    finally:
        server.shutdown()
    _assert_one_clear_line(result, ExitCode.API_UNAVAILABLE, base_url, "not JSON")
    assert not (tmp_path / "w.duckdb").exists()


def test_owner_id_changing_type_on_upgrade_to_2_16_keeps_one_column(tmp_path: Path) -> None:
    """2.9 serves contact `owner_id` as an integer, 2.16 as a string: the upgrade loads,
    the column keeps its declared type (no variant column) and every value survives."""
    with running_emulator(WorldConfig(seed=7, scale="tiny"), api_version="2.9") as emu:
        with emu.control.lock:  # give some contacts an owner so the column has values
            admin = next(iter(emu.world.admins))
            for contact_id in list(emu.world.contacts.ids())[:20]:
                contact = ops.editable(emu.world.contacts, contact_id)
                contact["owner_id"] = admin
                ops.save(emu.world.contacts, contact, emu.world.now)
        for version in ("2.9", "2.16"):
            args = quiet_run_args(
                emu, tmp_path, "--api-version", version, "--resources", "contacts"
            )
            result = cli(args, tmp_path, emu.token)
            assert result.returncode == 0, result.stderr
            emu.advance(3600)
        truth = {c["id"]: c["owner_id"] for c in emu.world.contacts.values()}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        columns = [
            name
            for (name,) in con.sql(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = 'contacts'",
                params=[DEFAULT_DATASET],
            ).fetchall()
        ]
        owners = dict(con.sql(f"SELECT id, owner_id FROM {DEFAULT_DATASET}.contacts").fetchall())
    assert [c for c in columns if c.startswith("owner_id")] == ["owner_id"]
    assert sum(1 for v in owners.values() if v is not None) >= 20
    for contact_id, owner in truth.items():
        if owner is not None:
            assert str(owners[contact_id]) == str(owner), contact_id
