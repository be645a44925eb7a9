"""The DuckDB file is held open for dlt's load step only, and closed after it."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.destinations.duckdb_held_open import DuckDbHeldOpenDuringLoad
from pipelines.run.construct import make_destination, make_pipeline
from pipelines.run.options import SyncOptions
from sources.intercom.dlt_compat import ProgressCollector


class StepRecorder(ProgressCollector):
    """A progress collector noting, at each counter update, the step and whether the file
    is held open then."""

    def __init__(self) -> None:
        self.holder: DuckDbHeldOpenDuringLoad | None = None
        self.seen: list[tuple[str, bool]] = []

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        assert self.holder is not None
        self.seen.append((self.step.split()[0], self.holder.is_holding))


def _pipeline(
    tmp_path: Path, recorder: StepRecorder, duckdb_file: str | None = None
) -> tuple[dlt.Pipeline, Path]:
    """A pipeline loading into `duckdb_file` (default: held.duckdb under `tmp_path`) with the
    file held open by a holder that reports to `recorder`."""
    duckdb_file = duckdb_file or str(tmp_path / "held.duckdb")
    holder = DuckDbHeldOpenDuringLoad(duckdb_file, recorder)
    recorder.holder = holder
    pipeline = dlt.pipeline(
        "held_open",
        destination=make_destination("duckdb", duckdb_file),
        dataset_name="d",
        pipelines_dir=str(tmp_path / "pipelines"),
        progress=holder,
    )
    return pipeline, Path(duckdb_file)


@dlt.resource(primary_key="id", write_disposition="merge")
def rows(count: int):
    yield [{"id": i, "value": f"v{i}"} for i in range(count)]


def test_held_open_during_the_load_only(tmp_path: Path) -> None:
    recorder = StepRecorder()
    pipeline, path = _pipeline(tmp_path, recorder)
    pipeline.run([rows(100), dlt.resource([{"id": 1}], name="other")])
    steps = {step: {held for s, held in recorder.seen if s == step} for step, _ in recorder.seen}
    assert steps["Load"] == {True}
    assert steps["Extract"] == {False}
    assert not recorder.holder.is_holding
    # closed: this process can open the file with another configuration again
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM d.rows").fetchone()[0] == 100


def test_closed_after_a_failed_load(tmp_path: Path, monkeypatch) -> None:
    # far too little memory for DuckDB: the load step fails
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"memory_limit": "1MB"}')
    recorder = StepRecorder()
    pipeline, path = _pipeline(tmp_path, recorder)
    with pytest.raises(PipelineStepFailed, match="Out of Memory"):
        pipeline.run(rows(20_000))
    assert ("Load", True) in recorder.seen
    assert not recorder.holder.is_holding
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("SELECT 1").fetchone() == (1,)


def test_a_relative_path_holds_the_file_dlt_loads(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    recorder = StepRecorder()
    pipeline, _ = _pipeline(tmp_path, recorder, "relative.duckdb")
    pipeline.run(rows(5))
    assert ("Load", True) in recorder.seen
    assert sorted(p.name for p in tmp_path.glob("*.duckdb")) == ["relative.duckdb"]


def test_a_setting_taken_only_at_opening_is_opened_alike(tmp_path: Path, monkeypatch) -> None:
    """dlt passes `custom_user_agent` to `duckdb.connect`: a held connection opened without it
    would make DuckDB refuse dlt's ("different configuration") and fail the load."""
    monkeypatch.setenv(
        "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG",
        '{"custom_user_agent": "intercom-sync-test"}',
    )
    options = SyncOptions(
        duckdb_file=str(tmp_path / "agent.duckdb"),
        pipelines_dir=str(tmp_path / "pipelines"),
        pipeline_name="held_open_agent",
        progress=False,
    )
    pipeline = make_pipeline(options)
    pipeline.run(rows(5))
    with duckdb.connect(options.duckdb_file, read_only=True) as con:
        assert con.sql("SELECT count(*) FROM intercom_raw.rows").fetchone()[0] == 5
