"""One test per touch of dlt's private internals (`sources/intercom/dlt_compat.py`): each fails
loudly when a dlt upgrade changes what the module relies on."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest
from dlt.common.normalizers.json.helpers import get_nested_row_hash, get_row_hash
from dlt.common.normalizers.utils import DLT_ID_LENGTH_BYTES
from dlt.extract.extract import Extract

from sources.intercom.arrow_rows import NESTED_SYSTEM_COLUMNS, nested_table_name
from sources.intercom.dlt_compat import (
    declare_bare_nested_table,
    key_row_id,
    merge_strategy_of,
    nested_row_id,
    random_row_id,
    table_variants,
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
