"""One test per touch of dlt's private internals (`sources/intercom/dlt_compat.py`): each fails
loudly when a dlt upgrade changes what the module relies on."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import sys
import threading
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.normalizers.json.helpers import get_nested_row_hash, get_row_hash
from dlt.common.normalizers.utils import DLT_ID_LENGTH_BYTES
from dlt.common.typing import TSecretStrValue
from dlt.extract.extract import Extract

from sources.intercom.arrow_rows import NESTED_SYSTEM_COLUMNS, nested_table_name
from sources.intercom.dlt_compat import (
    DLT_HOT_PATHS,
    ForwardingCollector,
    PeriodicCounts,
    ProgressCollector,
    check_file_name_component,
    committed_pipeline_state,
    cursor_column_names,
    declare_bare_nested_table,
    default_pipelines_dir,
    drop_staging_dataset,
    has_dataset,
    key_row_id,
    merge_strategy_of,
    nested_row_id,
    open_delta_table,
    parse_datetime,
    random_row_id,
    register_config_provider,
    remember_type_hint_checks,
    resource_hints,
    root_table_of,
    store_schema_in_destination,
    table_variants,
    variant_table_schema,
    venv_of_this_interpreter,
    wrap_generator,
)


def test_table_variants_are_the_hints_apply_hints_creates() -> None:
    @dlt.resource(name="things")
    def things():
        yield {"id": "1"}

    things.apply_hints(table_name="things_deleted", create_table_variant=True, primary_key="id")
    variants = table_variants(things)
    assert set(variants) == {"things_deleted"}
    assert variants["things_deleted"]["primary_key"] == "id"


def test_extract_still_has_the_metrics_method_the_patch_wraps() -> None:
    assert list(inspect.signature(Extract._compute_metrics).parameters) == [
        "self",
        "load_id",
        "source",
    ]


def test_a_bare_nested_table_loads_as_arrow_under_its_parent(tmp_path: Path) -> None:
    """The declared variant is a nested table dlt accepts rows for (and computes metrics of:
    without the patch, extracting into it raised KeyError)."""
    link_table = nested_table_name("things", "tags")

    @dlt.resource(name="things", write_disposition="append")
    def things():
        yield pa.table({"id": ["1"], "_dlt_id": [key_row_id("id", "1")], "_dlt_load_id": ["1"]})
        yield dlt.mark.with_table_name(
            pa.table(
                {
                    "value": ["a"],
                    "_dlt_root_id": [key_row_id("id", "1")],
                    "_dlt_parent_id": [key_row_id("id", "1")],
                    "_dlt_list_idx": [0],
                    "_dlt_id": [nested_row_id(key_row_id("id", "1"), link_table, 0)],
                }
            ),
            link_table,
        )

    resource = things()
    declare_bare_nested_table(resource, link_table, "things", NESTED_SYSTEM_COLUMNS)
    pipeline = dlt.pipeline(
        "compat",
        destination=dlt.destinations.duckdb(str(tmp_path / "c.duckdb")),
        pipelines_dir=str(tmp_path),
    )
    info = pipeline.run(resource)
    assert not info.has_failed_jobs
    table = pipeline.default_schema.tables[link_table]
    assert table["parent"] == "things"
    with pipeline.sql_client() as client:
        assert client.execute_sql(f"SELECT value FROM {link_table}") == [("a",)]


def test_merge_strategy_of_a_root_table() -> None:
    upsert = {
        "name": "t",
        "write_disposition": "merge",
        "x-merge-strategy": "upsert",
        "columns": {"id": {"name": "id", "primary_key": True}},
    }
    assert merge_strategy_of(upsert) == "upsert"
    assert merge_strategy_of({"name": "t", "write_disposition": "replace", "columns": {}}) is None


def test_random_row_ids_are_dlt_shaped() -> None:
    first, second = random_row_id(), random_row_id()
    assert first != second and isinstance(first, str)
    assert len(first) == len(key_row_id("id", "x")) and DLT_ID_LENGTH_BYTES == 10


@pytest.mark.parametrize(
    "key", ["6571f3a2b1c9d8e7f6a5b4c3", "", 'Zoë 🎈 "quoted" \\ back\nline', "\u0000\u2028"]
)
def test_row_ids_equal_dlt_hashes(key: str) -> None:
    assert key_row_id("id", key) == get_row_hash({"id": key}, ["id"])
    for table, index in (("contacts__tags", 0), ("conversation_parts__attachments", 1234)):
        assert nested_row_id(key, table, index) == get_nested_row_hash(key, table, index)


@pytest.mark.parametrize("parallelized", [False, True])
def test_wrap_generator_runs_the_wrapper_where_the_resource_reads(
    tmp_path: Path, parallelized: bool
) -> None:
    """The wrapper sees every item, with dlt's resource state at hand; a parallelized
    resource's wrapper runs in dlt's worker thread (where the resource's exceptions rise):
    the wrapper dlt puts around its generator was found and put back."""
    seen: list[tuple[str, Any]] = []

    @dlt.resource(name="things", parallelized=parallelized)
    def things():
        yield [{"id": "1"}]
        yield [{"id": "2"}]

    def wrap(read: Any):
        def wrapped():
            state = dlt.current.resource_state("things")
            for item in read() if callable(read) else read:
                seen.append((threading.current_thread().name, item))
                state["seen"] = state.get("seen", 0) + 1
                yield item

        return wrapped

    wrap_generator(things, wrap)
    pipeline = dlt.pipeline("wrap_generator", pipelines_dir=str(tmp_path), destination="duckdb")
    pipeline.extract(things)
    assert [item for _, item in seen] == [[{"id": "1"}], [{"id": "2"}]]
    main = threading.main_thread().name
    assert {thread != main for thread, _ in seen} == {parallelized}
    assert pipeline.state["sources"]["wrap_generator"]["resources"]["things"]["seen"] == 2


# -- resources: hints and variants ------------------------------------------------------------


def test_resource_hints_are_the_declared_and_applied_ones() -> None:
    @dlt.resource(name="things", primary_key="id", write_disposition="merge")
    def things():
        yield {"id": "1"}

    assert resource_hints(things)["primary_key"] == "id"
    things.apply_hints(write_disposition={"disposition": "merge", "strategy": "upsert"})
    assert resource_hints(things)["write_disposition"]["strategy"] == "upsert"


def test_variant_table_schema_is_the_variants_own() -> None:
    @dlt.resource(name="things", primary_key="id", write_disposition="merge")
    def things():
        yield {"id": "1"}

    things.apply_hints(
        table_name="things_deleted",
        create_table_variant=True,
        write_disposition="append",
    )
    assert variant_table_schema(things, "things_deleted")["write_disposition"] == "append"
    assert variant_table_schema(things, None)["write_disposition"] == "merge"
    assert variant_table_schema(things, None)["name"] == "things"


def test_root_table_of_follows_parents() -> None:
    tables = {
        "a": {"name": "a", "resource": "r"},
        "a__b": {"name": "a__b", "parent": "a"},
        "a__b__c": {"name": "a__b__c", "parent": "a__b"},
    }
    assert root_table_of(tables, "a__b__c")["name"] == "a"
    assert root_table_of(tables, "a")["name"] == "a"


# -- config -----------------------------------------------------------------------------------


def test_a_registered_provider_is_consulted_after_dlts(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "dlt_compat test provider"
    register_config_provider(name, {"compat_test": {"value": "from the provider"}})
    assert (
        dlt.config["compat_test.value"] == "from the provider"
    ), "dlt no longer reads providers registered in its run context's `providers`"
    monkeypatch.setenv("COMPAT_TEST__VALUE", "from the environment")
    assert (
        dlt.config["compat_test.value"] == "from the environment"
    ), "a provider registered later no longer comes after dlt's own"
    monkeypatch.delenv("COMPAT_TEST__VALUE")
    register_config_provider(name, {"compat_test": {"value": "replaced"}})
    assert dlt.config["compat_test.value"] == "replaced"
    register_config_provider(name, {})


# -- progress collectors ----------------------------------------------------------------------


class _Recorder(ProgressCollector):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        self.calls.append(("update", name))

    def start(self, step: str) -> None:
        self.calls.append(("start", step.split()[0]))

    def stop(self) -> None:
        self.calls.append(("stop", None))

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        self.calls.append(("trace step", step))


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, _Recorder]:
    """A pipeline run with each collector: what dlt called on it."""
    runs: dict[str, _Recorder] = {}
    for kind in ("own", "forwarded"):
        recorder = _Recorder()
        progress = recorder if kind == "own" else ForwardingCollector(recorder)
        pipeline = dlt.pipeline(
            f"progress_{kind}",
            destination=dlt.destinations.duckdb(str(tmp_path_factory.mktemp(kind) / "p.duckdb")),
            pipelines_dir=str(tmp_path_factory.mktemp(f"{kind}_pipelines")),
            progress=progress,
        )
        pipeline.run([{"id": 1}], table_name="rows")
        runs[kind] = recorder
    return runs


@pytest.mark.parametrize("kind", ["own", "forwarded"])
def test_dlt_starts_and_stops_a_collector_around_each_step(
    tiny_runs: dict[str, _Recorder], kind: str
) -> None:
    """dlt enters the collector per step (`_start`/`_stop`, reaching `start`/`stop`), and a
    forwarding collector passes that, the counters and the trace hooks on."""
    calls = tiny_runs[kind].calls
    starts = [step for call, step in calls if call == "start"]
    assert list(dict.fromkeys(starts)) == [
        "Extract",
        "Normalize",
        "Load",
    ], f"dlt no longer calls a collector's `_start` per step: {calls}"
    assert sum(call == "stop" for call, _ in calls) == len(
        starts
    ), f"dlt no longer calls a collector's `_stop` after each `_start`: {calls}"
    assert ("update", "rows") in calls, calls
    if kind == "forwarded":
        steps = [step for call, step in calls if call == "trace step"]
        assert steps == ["run", "extract", "normalize", "load"], calls


def test_forwarding_to_nothing_runs(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        "progress_none",
        destination=dlt.destinations.duckdb(str(tmp_path / "p.duckdb")),
        pipelines_dir=str(tmp_path),
        progress=ForwardingCollector(None),
    )
    assert not pipeline.run([{"id": 1}], table_name="rows").has_failed_jobs


class _Reports(PeriodicCounts):
    def __init__(self, log_period: float) -> None:
        super().__init__(log_period=log_period, logger="stdout", dump_system_stats=False)
        self.reports: list[tuple[str, dict[str, int], float]] = []

    def report(self, step: str, counts: dict[str, int], elapsed: float) -> None:
        self.reports.append((step, counts, elapsed))


def test_periodic_counts_report_each_period_only(capsys: pytest.CaptureFixture[str]) -> None:
    """dlt's LogCollector counts (`counters`, `counter_info` with descriptions and start
    times, its `_clock`); reported every period, not at a step's start nor end."""
    every_time, hourly = _Reports(log_period=0.0), _Reports(log_period=3600.0)
    for collector in (every_time, hourly):
        with collector("Extract intercom"):
            collector.update("Resources", 0, total=9)
            collector.update("contacts", 150)
            collector.update("contacts", 50, label="deleted")
    assert hourly.reports == [], "LogCollector's `_start`/`_stop`/`maybe_log` changed"
    step, counts, elapsed = every_time.reports[-1]
    assert step == "Extract intercom"
    assert counts == {"Resources": 0, "contacts": 150, "contacts (deleted)": 50}
    assert elapsed >= 0
    assert len(every_time.reports) == 3  # one per update (period 0), none at the end
    assert capsys.readouterr().out == ""  # dlt's own block never written


# -- destinations -----------------------------------------------------------------------------


@dlt.resource(name="rows", primary_key="id", write_disposition="merge")
def _merged_rows():
    yield [{"id": "1", "value": "a"}, {"id": "2", "value": "b"}]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dlt.Pipeline:
    """A DuckDB pipeline after one merge load (which leaves the staging dataset)."""
    root = tmp_path_factory.mktemp("loaded")
    pipeline = dlt.pipeline(
        "compat_loaded",
        destination=dlt.destinations.duckdb(str(root / "l.duckdb")),
        dataset_name="data",
        pipelines_dir=str(root),
    )
    pipeline.run(_merged_rows())
    return pipeline


def test_committed_state_is_the_one_loaded(loaded: dlt.Pipeline, tmp_path: Path) -> None:
    state = committed_pipeline_state(loaded)
    assert state["_state_version"] == loaded.state["_state_version"]
    assert state["pipeline_name"] == "compat_loaded"
    never = dlt.pipeline(
        "compat_never",
        destination=dlt.destinations.duckdb(str(tmp_path / "n.duckdb")),
        pipelines_dir=str(tmp_path),
    )
    assert committed_pipeline_state(never) == {}


def test_has_dataset(loaded: dlt.Pipeline, tmp_path: Path) -> None:
    with loaded.sql_client() as client:
        assert has_dataset(client) is True
    never = dlt.pipeline(
        "compat_never",
        destination=dlt.destinations.duckdb(str(tmp_path / "n.duckdb")),
        dataset_name="nothing",
        pipelines_dir=str(tmp_path),
    )
    with never.sql_client() as client:
        assert has_dataset(client) is False


def test_cursor_column_names(loaded: dlt.Pipeline) -> None:
    with loaded.sql_client() as client:
        query = f"SELECT id, value FROM {client.make_qualified_table_name('rows')}"
        with client.execute_query(query) as cursor:
            assert cursor_column_names(cursor) == ["id", "value"]


def test_the_stored_schema_is_the_saved_one(loaded: dlt.Pipeline) -> None:
    schema = loaded.default_schema
    schema.tables["rows"]["columns"]["added"] = {"name": "added", "data_type": "text"}
    schema._bump_version()
    loaded.schemas.save_schema(schema)
    store_schema_in_destination(loaded)
    with loaded.sql_client() as client:
        versions = client.make_qualified_table_name("_dlt_version")
        rows = client.execute_sql(f"SELECT version_hash FROM {versions}")
    assert schema.version_hash in {
        hash for (hash,) in rows
    }, "the job client's `update_stored_schema` no longer stores the saved schema"


def test_the_staging_dataset_is_dropped_once(loaded: dlt.Pipeline) -> None:
    with loaded.sql_client() as client, client.with_staging_dataset():
        assert client.has_dataset(), "dlt no longer leaves the staging dataset after a merge"
    assert drop_staging_dataset(loaded, filesystem=False) is True
    assert drop_staging_dataset(loaded, filesystem=False) is False


def test_the_filesystem_staging_folder_is_dropped_once(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        "compat_files",
        destination=dlt.destinations.filesystem(str(tmp_path / "files")),
        dataset_name="data",
        pipelines_dir=str(tmp_path),
    )
    pipeline.run([{"id": "1"}], table_name="rows")
    with pipeline.destination_client() as files, files.with_staging_dataset():
        files.initialize_storage()  # as dlt leaves it (an empty `<dataset>_staging`)
    assert (tmp_path / "files" / "data_staging").is_dir()
    assert drop_staging_dataset(pipeline, filesystem=True) is True
    assert not (tmp_path / "files" / "data_staging").exists()
    assert drop_staging_dataset(pipeline, filesystem=True) is False
    assert (tmp_path / "files" / "data").is_dir()


def test_open_delta_table(tmp_path: Path) -> None:
    @dlt.resource(name="rows", table_format="delta")
    def rows():
        yield [{"id": "1"}, {"id": "2"}]

    pipeline = dlt.pipeline(
        "compat_delta",
        destination=dlt.destinations.filesystem(str(tmp_path / "files")),
        dataset_name="data",
        pipelines_dir=str(tmp_path),
    )
    pipeline.run([rows(), dlt.resource([{"id": "3"}], name="plain")])
    table = open_delta_table(pipeline.dataset(), "rows")
    assert sorted(table.to_pyarrow_table().column("id").to_pylist()) == ["1", "2"]
    assert open_delta_table(pipeline.dataset(), "plain") is None  # not a delta table


def test_no_delta_table_on_duckdb(loaded: dlt.Pipeline) -> None:
    assert open_delta_table(loaded.dataset(), "rows") is None


# -- runtime ----------------------------------------------------------------------------------


def test_default_pipelines_dir_is_under_dlts_data_dir() -> None:
    expected = os.path.join(dlt.current.run_context().data_dir, "pipelines")
    assert default_pipelines_dir() == expected


@pytest.mark.parametrize("name", ["../x", "a/b", "a\\b", "a.b", ""])
def test_file_names_dlt_refuses(name: str) -> None:
    with pytest.raises(ValueError):
        check_file_name_component(name)


def test_file_names_dlt_accepts() -> None:
    for name in ("intercom", "acme-prod_2", "Intercom"):
        check_file_name_component(name)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-31", "2024-01-31T00:00:00+00:00"),
        ("2024-01-31T12:30:00Z", "2024-01-31T12:30:00+00:00"),
        ("2024-01-31T12:30:00", "2024-01-31T12:30:00+00:00"),  # naive means UTC
        ("2024-01-31T12:30:00+02:00", "2024-01-31T10:30:00+00:00"),  # shifted to UTC
        (1706704200, "2024-01-31T12:30:00+00:00"),
        (dt.date(2024, 1, 31), "2024-01-31T00:00:00+00:00"),
    ],
)
def test_parse_datetime(value: Any, expected: str) -> None:
    assert parse_datetime(value).isoformat() == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "31/01/2024"])
def test_parse_datetime_refuses_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_the_venv_runs_this_interpreter_as_dlts_runners_do() -> None:
    """dlt's dbt runner starts `python` of the venv (`iter_stdout(venv, "python", ...)`)."""
    from dlt.common.runners.stdout import iter_stdout

    venv = venv_of_this_interpreter()
    lines = list(iter_stdout(venv, "python", "-c", "import sys; print(sys.prefix)"))
    assert lines == [sys.prefix]


# -- hot paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(DLT_HOT_PATHS))
def test_hot_paths_exist(label: str) -> None:
    module_name, path = DLT_HOT_PATHS[label]
    owner: Any = importlib.import_module(module_name)
    for part in path.split("."):
        assert hasattr(owner, part), f"dlt renamed or moved {module_name}.{path} ({label})"
        owner = getattr(owner, part)
    assert callable(owner)


# -- type hints -------------------------------------------------------------------------------


def _hints() -> list[Any]:
    from typing import Annotated, ClassVar, Literal

    from dlt.common.configuration.specs import (
        ConnectionStringCredentials,
        CredentialsConfiguration,
        RuntimeConfiguration,
    )
    from dlt.common.configuration.specs.base_configuration import SecretSentinel
    from dlt.common.typing import TSecretValue

    return [
        str,
        int,
        str | None,
        list[str],
        Literal["a", "b"],
        ClassVar[int],
        TSecretValue,
        TSecretStrValue,
        TSecretStrValue | None,
        Annotated[str, SecretSentinel],
        CredentialsConfiguration,
        ConnectionStringCredentials | None,
        ConnectionStringCredentials | str,
        RuntimeConfiguration,
        Annotated[str, {"unhashable": True}],  # answered by the original, uncached
    ]


def test_the_type_hint_checks_keep_their_signatures() -> None:
    from dlt.common.configuration.specs import base_configuration

    assert list(inspect.signature(base_configuration.is_secret_hint).parameters) == ["hint"]
    assert list(inspect.signature(base_configuration.extract_inner_hint).parameters) == [
        "hint",
        "preserve_new_types",
        "preserve_literal",
        "preserve_annotated",
    ]


def test_remembered_type_hint_checks_answer_as_dlts_own() -> None:
    from dlt.common.configuration.specs import base_configuration

    remember_type_hint_checks()
    is_secret_hint = base_configuration.is_secret_hint
    extract_inner_hint = base_configuration.extract_inner_hint
    original_secret, original_inner = is_secret_hint.__wrapped__, extract_inner_hint.__wrapped__
    flags = [
        {},
        {"preserve_new_types": True, "preserve_annotated": True},
        {"preserve_literal": True},
    ]
    for hint in _hints():
        for _ in range(2):  # computed, then remembered
            assert is_secret_hint(hint) == original_secret(hint), hint
            for kwargs in flags:
                assert extract_inner_hint(hint, **kwargs) == original_inner(hint, **kwargs), hint
    assert is_secret_hint(TSecretStrValue) is True
    assert is_secret_hint(str) is False
    assert is_secret_hint.cache_info().hits > 0


_FRESH_PROCESS_CHECK = """
import sys
import dlt, dlt.hub, dlt.pipeline.trace, dlt.destinations  # dlt.hub: a module __getattr__ that raises
from dlt.common.configuration.specs import base_configuration
from sources.intercom.dlt_compat import remember_type_hint_checks
original = base_configuration.is_secret_hint
remember_type_hint_checks()
remember_type_hint_checks()  # idempotent: not wrapped twice
remembered = base_configuration.is_secret_hint
assert remembered is not original and remembered.__wrapped__ is original
stale = [n for n, m in list(sys.modules.items()) if n.startswith("dlt.") and m is not None
         and vars(m).get("is_secret_hint") is original]
print(stale)
"""


def test_every_dlt_module_calling_the_checks_gets_the_remembered_ones() -> None:
    import subprocess

    import dlt.common.configuration.providers.environ as environ
    import dlt.common.configuration.resolve as resolve
    from dlt.common.configuration.specs import base_configuration

    # where a sync's configuration resolution calls them: resolve.py, the environment provider
    remember_type_hint_checks()
    assert resolve.is_secret_hint is base_configuration.is_secret_hint
    assert resolve.extract_inner_hint is base_configuration.extract_inner_hint
    assert environ.is_secret_hint is base_configuration.is_secret_hint
    assert hasattr(base_configuration.is_secret_hint, "cache_info")
    # every dlt module loaded before the patch, in a process of its own
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS_CHECK],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


@configspec
class _HintsSpec(BaseConfiguration):
    password: TSecretStrValue | None = None
    user: str | None = None


def test_a_secret_is_still_refused_from_a_provider_that_holds_no_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check's purpose, through dlt's resolution: a secret found in a provider that
    supports no secrets (ours) is refused, a plain value is read; every time, not only the
    first."""
    from dlt.common.configuration.exceptions import ValueNotSecretException

    remember_type_hint_checks()
    register_config_provider("intercom_test", {"hints": {"password": "p", "user": "u"}})
    for _ in range(2):
        with pytest.raises(ValueNotSecretException):
            resolve_configuration(_HintsSpec(), sections=("hints",))
    register_config_provider("intercom_test", {"hints": {"user": "u"}})
    monkeypatch.setenv("HINTS__PASSWORD", "from-env")
    for _ in range(2):
        resolved = resolve_configuration(_HintsSpec(), sections=("hints",))
        assert (resolved.user, resolved.password) == ("u", "from-env")
