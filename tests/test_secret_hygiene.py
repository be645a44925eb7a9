"""The access token never leaves the process: syncs — successful, retried through faults,
failing on a revoked or wrong token, failing after exhausted retries — are run through the
CLI with verbose and JSON logs, then everything they wrote is searched for the token:
stdout, stderr, every file under the pipelines dir (state, schemas, traces, load packages,
run history), the DuckDB file's bytes and every text value in every destination table.
And TLS certificate verification stays on for Intercom's real hosts."""

from __future__ import annotations

import ssl
from pathlib import Path

import duckdb

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from sources.intercom.client import IntercomClient
from tests.helpers.cli import cli, quiet_run_args
from tests.helpers.retries import SHORT_BACKOFF

TOKEN = "dG9rOmhvdXNla2VlcGluZy1zZWNyZXQtOTg3NjU0MzIxMA=="  # shaped like an Intercom token
WRONG = "dG9rOndyb25nLXRva2VuLW5ldmVyLXRvLWJlLXByaW50ZWQ="


def _text_values(path: Path) -> list[str]:
    """Every text value of every table in the DuckDB file (compressed on disk)."""
    out: list[str] = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            query = f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}"'
            out += [v for (v,) in con.sql(query).fetchall() if v is not None]
    return out


def test_the_token_is_written_nowhere(tmp_path: Path) -> None:
    outputs: list[str] = []
    with running_emulator(WorldConfig(seed=41, scale="tiny"), token=TOKEN) as emu:

        def run(*extra: str, token: str = TOKEN, env: dict | None = None, verbose=False) -> int:
            logs = ["-v", "--log-format", "json"] if verbose else []
            env = {**SHORT_BACKOFF, **(env or {})}
            result = cli([*logs, *quiet_run_args(emu, tmp_path, *extra)], tmp_path, token, env)
            outputs.extend([result.stdout, result.stderr])
            return result.returncode

        assert run(verbose=True) == 0  # debug logs, as JSON
        emu.advance(3600)
        emu.control.update({"faults": {"error_rate": 0.05, "malformed_rate": 0.03}})
        assert run() == 0  # retried through faults
        emu.control.update({"faults": {"GET /me": {"error_rate": 1.0}}})
        assert run(env={"SOURCES__INTERCOM__MAX_RETRIES": "1"}, verbose=True) != 0  # exhausted
        emu.control.update({"faults": None, "revoked_tokens": [TOKEN]})
        assert run() != 0  # revoked
        emu.control.update({"revoked_tokens": []})
        assert run(token=WRONG) != 0  # a wrong token is not printed either
        assert run("--reconcile") == 0
    assert any("retry" in text for text in outputs), "the fault runs logged their retries"

    leaks = [i for i, text in enumerate(outputs) if TOKEN in text or WRONG in text]
    assert leaks == [], "token in stdout/stderr"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    assert any("trace" in p.name for p in files), "dlt's trace was written and searched"
    for path in files:
        data = path.read_bytes()
        assert TOKEN.encode() not in data and WRONG.encode() not in data, path
    for value in _text_values(tmp_path / "warehouse.duckdb"):
        assert TOKEN not in value and WRONG not in value


def test_tls_verification_stays_on_for_intercom_hosts() -> None:
    for region in ("us", "eu", "au"):
        with IntercomClient(TOKEN, region=region) as client:
            assert client.base_url.startswith("https://")
            context = client._http()._transport._pool._ssl_context  # httpx internals, read-only
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname is True
