"""The CLI tests' fork server (tests/helpers/cli_forkserver.py) answers like a fresh
`python -m pipelines.cli`: same exit code, same output, the caller's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import cli
from tests.helpers.cli_forkclient import CLI_MODE_VAR

CASES = [
    ["--help"],
    ["run", "--help"],
    ["run", "--resources", "no_such_resource"],
    ["status", "--duckdb-file", "missing.duckdb"],
    ["schema", "--api-version", "2.9"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a))
def test_forked_and_fresh_commands_answer_alike(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = cli(args, tmp_path, None)
    monkeypatch.setenv(CLI_MODE_VAR, "subprocess")
    fresh = cli(args, tmp_path, None)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_a_forked_command_reads_the_dlt_config_of_its_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[sources.intercom]\nmax_retries = -1\n")
    result = cli(["run", "--base-url", "http://127.0.0.1:9"], tmp_path, "a-token")
    assert result.returncode == 2, result.stderr  # the .dlt/ of its working directory was read
    assert "max_retries" in result.stderr
