"""`--fivetran-schema` / `[transform] fivetran_schema`: where the Fivetran-shaped views go, and
the one-line refusals (the views themselves: tests/analytics/test_fivetran_package.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from pipelines.reporting.fivetran_schema import resolve_fivetran_schema


def test_the_option_wins_over_the_config_which_wins_over_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRANSFORM__FIVETRAN_SCHEMA", raising=False)
    assert resolve_fivetran_schema(None, "intercom_raw") is None
    assert resolve_fivetran_schema(True, "intercom_raw") == "intercom_raw_fivetran"
    assert resolve_fivetran_schema("ft", "intercom_raw") == "ft"
    monkeypatch.setenv("TRANSFORM__FIVETRAN_SCHEMA", "true")
    assert resolve_fivetran_schema(None, "acme") == "acme_fivetran"
    assert resolve_fivetran_schema("ft", "acme") == "ft"
    monkeypatch.setenv("TRANSFORM__FIVETRAN_SCHEMA", "acme_ft")
    assert resolve_fivetran_schema(None, "acme") == "acme_ft"
    monkeypatch.setenv("TRANSFORM__FIVETRAN_SCHEMA", "false")
    assert resolve_fivetran_schema(None, "acme") is None


def test_refused_without_the_models_and_with_a_name_no_schema_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--pipelines-dir", str(tmp_path), "--duckdb-file", str(tmp_path / "w.duckdb")]
    assert main(["run", *where, "--fivetran-schema"]) == ExitCode.CONFIG
    assert "--fivetran-schema builds views with the dbt models: add --transform" in (
        capsys.readouterr().err
    )
    assert main(["run", *where, "--transform", "--fivetran-schema", "my schema"]) == (
        ExitCode.CONFIG
    )
    err = capsys.readouterr().err
    assert "fivetran schema 'my schema' is not a plain schema name" in err
    assert err.count("\n") == 1  # one line, before any sync
    assert not (tmp_path / "w.duckdb").exists()
    report = ["report", "--duckdb-file", str(tmp_path / "w.duckdb"), "--fivetran-schema"]
    assert main([*report, "--output", str(tmp_path / "r.html")]) == ExitCode.CONFIG
    assert "add --build-models" in capsys.readouterr().err
