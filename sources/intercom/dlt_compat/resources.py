"""A resource's hints and generator: what dlt keeps on `DltResource` without a public accessor.

- its own hints and its table variants (`DltResource._hints`, `_hints_variants`), and a bare
  nested table declared among them;
- `Extract._compute_metrics`, patched so that nested tables extracted as Arrow get metrics;
- the table schema of a variant (`compute_table_schema(meta=TableNameMeta(...))`);
- a resource's generator (`DltResource._pipe.gen`, `replace_gen`) and dlt's wrapper of a
  parallelized one (`dlt.extract.utils.wrap_parallel_iterator`), to run it inside our own
  generator (contained.py): dlt has no public way to wrap a resource's generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dlt.common.schema.typing import TColumnSchema, TTableSchema
from dlt.extract.extract import Extract
from dlt.extract.hints import TResourceHints, make_hints
from dlt.extract.items import TableNameMeta
from dlt.extract.resource import DltResource
from dlt.extract.utils import wrap_parallel_iterator

from sources.intercom.dlt_compat.schema import root_table_of

# -- hints ------------------------------------------------------------------------------------


def resource_hints(resource: DltResource) -> TResourceHints:
    """The hints `resource` was declared with and given by `apply_hints` (its own table)."""
    return resource._hints


def table_variants(resource: DltResource) -> Mapping[str, TResourceHints]:
    """The hints of each table variant of `resource` (`apply_hints(table_name=…,
    create_table_variant=True)`), by table name."""
    return resource._hints_variants


def variant_table_schema(resource: DltResource, table: str | None) -> TTableSchema:
    """The table schema `resource` computes for its variant `table` (None: its own table), as
    for an item marked with `dlt.mark.with_table_name(item, table)`."""
    return resource.compute_table_schema(meta=TableNameMeta(table) if table else None)


# -- nested tables yielded as Arrow -----------------------------------------------------------


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
            table["resource"] = root_table_of(tables, table["name"]).get("resource")
        try:
            return original(self, load_id, source)
        finally:
            for table in lent:
                table.pop("resource", None)

    compute_metrics._lends_nested_resource = True  # type: ignore[attr-defined]
    Extract._compute_metrics = compute_metrics  # type: ignore[method-assign]


# -- the generator ----------------------------------------------------------------------------

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
