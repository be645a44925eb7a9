"""Every touch of dlt's private internals, in one place.

dlt is pinned `<1.32` because of what is here: a dlt upgrade means reviewing this module, and
`tests/sources/test_dlt_compat.py` has one test per touch that fails loudly when dlt changes it.

- a resource's table variants (`DltResource._hints_variants`): dlt has no public accessor for
  them, nor a public way to declare a bare nested table;
- `Extract._compute_metrics`, patched so that nested tables extracted as Arrow get metrics;
- `resolve_merge_strategy` and `generate_dlt_id`, importable but not documented API;
- dlt's row hashes (`get_row_hash`, `get_nested_row_hash`), inlined because they run per row;
- a resource's generator (`DltResource._pipe.gen`, `replace_gen`) and dlt's wrapper of a
  parallelized one (`dlt.extract.utils.wrap_parallel_iterator`), to run it inside our own
  generator (contained.py): dlt has no public way to wrap a resource's generator.
"""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable, Iterator, Mapping
from hashlib import shake_128
from typing import Any

import orjson
from dlt.common.destination.utils import resolve_merge_strategy
from dlt.common.normalizers.utils import DLT_ID_LENGTH_BYTES, generate_dlt_id
from dlt.common.schema.typing import TColumnSchema, TTableSchema
from dlt.common.schema.utils import get_root_table
from dlt.extract.extract import Extract
from dlt.extract.hints import TResourceHints, make_hints
from dlt.extract.resource import DltResource
from dlt.extract.utils import wrap_parallel_iterator

# dlt's JSON for row hashes (`dlt.common.json._orjson`, sort_keys=True)
_DLT_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS


def table_variants(resource: DltResource) -> Mapping[str, TResourceHints]:
    """The hints of each table variant of `resource` (`apply_hints(table_name=…,
    create_table_variant=True)`), by table name."""
    return resource._hints_variants


def declare_bare_nested_table(
    resource: DltResource, table: str, parent: str, columns: Mapping[str, TColumnSchema]
) -> None:
    """Give `resource` the hints of a nested table it yields itself (as Arrow). A variant made
    with `apply_hints(create_table_variant=True)` would copy the resource's own hints (columns,
    primary key, write disposition) into it; this sets only the parent and `columns`."""
    resource._hints_variants[table] = make_hints(
        table_name=table, parent_table_name=parent, columns=dict(columns)
    )
    _lend_nested_tables_their_resource()


def _lend_nested_tables_their_resource() -> None:
    """dlt 1.31 sums extract metrics per resource via `table["resource"]`, a key nested tables
    never have (the schema refuses it on them): extracting rows *into* a nested table raised
    KeyError after the data was written. Lend each nested table its root's resource name for
    the duration of that computation only. Idempotent; a no-op for sources that extract no
    nested table (dlt behaves exactly as before)."""
    original = Extract._compute_metrics
    if getattr(original, "_lends_nested_resource", False):
        return

    def compute_metrics(self: Extract, load_id: str, source: Any) -> Any:
        tables = source.schema.tables
        lent = [table for table in tables.values() if "parent" in table and "resource" not in table]
        for table in lent:
            table["resource"] = get_root_table(tables, table["name"]).get("resource")
        try:
            return original(self, load_id, source)
        finally:
            for table in lent:
                table.pop("resource", None)

    compute_metrics._lends_nested_resource = True  # type: ignore[attr-defined]
    Extract._compute_metrics = compute_metrics  # type: ignore[method-assign]


def merge_strategy_of(table: TTableSchema) -> str | None:
    """The merge strategy dlt will use for a root `table` (None unless it merges)."""
    return resolve_merge_strategy({table["name"]: table}, table)


def random_row_id() -> str:
    """A `_dlt_id` as dlt's normalizer makes it where rows have no key hash."""
    return generate_dlt_id()


def _row_id(data: bytes) -> str:
    """dlt's `digest128b`: base64 of a 15-byte shake-128 digest."""
    digest = shake_128(data).digest(DLT_ID_LENGTH_BYTES)
    return b2a_base64(digest, newline=False).decode("ascii").rstrip("=")


def key_row_id(primary_key: str, key: str) -> str:
    """dlt's `get_row_hash({primary_key: key}, [primary_key])`, the `_dlt_id` of an upserted
    root row: the hash of the key as dlt's JSON (orjson, sorted keys)."""
    return _row_id(orjson.dumps({primary_key: key}, option=_DLT_JSON_OPTIONS))


def nested_row_id(parent_row_id: str, table: str, list_idx: int) -> str:
    """dlt's `get_nested_row_hash`: the `_dlt_id` of the `list_idx`th item of a list."""
    return _row_id(f"{parent_row_id}_{table}_{list_idx}".encode())


# A generator function that yields the items of `read` (a generator function or an iterator).
GeneratorWrapper = Callable[[Any], Callable[[], Iterator[Any]]]


def wrap_generator(resource: DltResource, wrap: GeneratorWrapper) -> None:
    """Replace `resource`'s generator `read` with `wrap(read)`. A parallelized resource's
    generator is dlt's wrapper around the one it was given (`wrap_parallel_iterator`): that one
    is wrapped, then wrapped again for dlt, so that `wrap` runs in the worker thread that
    reads (where its exceptions are raised)."""
    gen = resource._pipe.gen
    inner = _parallel_inner(gen)
    if inner is None:
        resource._pipe.replace_gen(wrap(gen))
    else:
        resource._pipe.replace_gen(wrap_parallel_iterator(wrap(inner)))


def _parallel_inner(gen: Any) -> Any:
    """The generator dlt's parallel wrapper wraps, None if `gen` is not that wrapper."""
    inner = getattr(gen, "__wrapped__", None)
    code = getattr(gen, "__code__", None)
    if inner is not None and code is not None and code.co_name == _PARALLEL_WRAPPER:
        return inner
    return None


_PARALLEL_WRAPPER = "_gen_wrapper"  # the name of `wrap_parallel_iterator`'s inner function
