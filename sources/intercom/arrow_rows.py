"""Shape a page of records into Arrow tables exactly as dlt's relational normalizer would.

dlt normalises dict items one row at a time in Python, which costs more CPU than everything
else in a contacts sync. Arrow items skip that step (dlt writes them to parquet as they are),
but dlt then adds neither the nested link tables nor the `_dlt_id` keys that upsert needs to
replace a record's links. This module builds both, with dlt's own key functions:

- root table: nested objects flattened with `__`, `_dlt_id` = dlt's primary-key hash (the
  `key_hash` row id of the upsert strategy), `_dlt_load_id`;
- one table per list (`<root>__<field>`, deeper lists too): `_dlt_parent_id`,
  `_dlt_list_idx`, `_dlt_root_id` and `_dlt_id` = dlt's nested-row hash; lists of scalars
  land in a `value` column.

Types follow the declared column hints (`schema.py`, custom attributes) and otherwise the
rules of the dict path: `records.to_row` makes `*_at` numbers timestamps (not inside custom
attributes), dlt infers the rest from the values. Whatever this module cannot mirror exactly —
a value of another type than its column, an unknown list, a float timestamp — raises
`NotMirrorable`, and the caller yields that page as dicts for dlt's normalizer: slower, never
different. `tests/sources/test_arrow_rows.py` loads the same records both ways and compares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.destination.utils import resolve_merge_strategy
from dlt.common.normalizers.json.helpers import get_nested_row_hash, get_row_hash
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.normalizers.utils import generate_dlt_id
from dlt.common.schema.typing import TColumnSchema
from dlt.common.schema.utils import get_root_table
from dlt.extract.extract import Extract
from dlt.extract.hints import make_hints
from dlt.extract.items import TableNameMeta
from dlt.extract.resource import DltResource

from sources.intercom.records import TYPED_ELSEWHERE, to_row
from sources.intercom.settings import PARQUET_DESTINATIONS, destination_kind

logger = logging.getLogger(__name__)

DLT_ID = "_dlt_id"
DLT_LOAD_ID = "_dlt_load_id"
DLT_PARENT_ID = "_dlt_parent_id"
DLT_ROOT_ID = "_dlt_root_id"
DLT_LIST_IDX = "_dlt_list_idx"

# The hints dlt's relational normalizer gives its own columns (upsert: root key propagated).
_ROW_KEY: TColumnSchema = {
    "name": DLT_ID,
    "data_type": "text",
    "nullable": False,
    "unique": True,
    "row_key": True,
}
ROOT_SYSTEM_COLUMNS: dict[str, TColumnSchema] = {
    DLT_LOAD_ID: {"name": DLT_LOAD_ID, "data_type": "text", "nullable": False},
    DLT_ID: dict(_ROW_KEY),  # a copy each: dlt may update hint dicts in place
}
NESTED_SYSTEM_COLUMNS: dict[str, TColumnSchema] = {
    DLT_ROOT_ID: {"name": DLT_ROOT_ID, "data_type": "text", "nullable": False, "root_key": True},
    DLT_PARENT_ID: {
        "name": DLT_PARENT_ID,
        "data_type": "text",
        "nullable": False,
        "parent_key": True,
    },
    DLT_LIST_IDX: {"name": DLT_LIST_IDX, "data_type": "bigint", "nullable": False},
    DLT_ID: dict(_ROW_KEY),  # a copy each: dlt may update hint dicts in place
}

_NAMING = NamingConvention()
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {
    "text": pa.string(),
    "bool": pa.bool_(),
    "bigint": pa.int64(),
    "double": pa.float64(),
}
_PYTHON_TYPES = {str: "text", bool: "bool", int: "bigint", float: "double"}


class NotMirrorable(ValueError):
    """This page cannot be shaped exactly as the dict path would shape it."""


def declare_nested_tables(resource: DltResource, tables: Mapping[str, str]) -> None:
    """Give `resource` the hints of the nested tables `{table: parent}` it yields as Arrow.

    A table variant created with `apply_hints(create_table_variant=True)` would copy the
    resource's own hints (its columns, primary key and write disposition) into the nested
    table; dlt has no public way to declare a bare nested table, so the variant is set
    directly. `tests/sources/test_arrow_rows.py` checks the resulting schema equals the one
    dlt's normalizer builds.
    """
    for table, parent in tables.items():
        resource._hints_variants[table] = make_hints(
            table_name=table,
            parent_table_name=parent,
            columns=dict(NESTED_SYSTEM_COLUMNS),
        )
    _patch_extract_metrics()


def _patch_extract_metrics() -> None:
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


def nested_table_name(*parts: str) -> str:
    """`("contacts", "tags")` -> `contacts__tags`, as dlt names the table of a list field."""
    return _NAMING.shorten_fragments(*(_NAMING.normalize_table_identifier(p) for p in parts))


class _Table:
    """Flattened rows of one table, in arrival order."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.timestamp_names: set[str] = set()  # `*_at` columns outside custom attributes


class ArrowShaper:
    """Turns pages of one root table into `{table name: pa.Table}`.

    `declared`: column hints per table name (root: the API model + custom attributes).
    `nested_tables`: the list tables this shaper may produce; any other list -> NotMirrorable
    (the resource declares these tables' hints before extraction starts).
    """

    def __init__(
        self,
        root: str,
        declared: Mapping[str, Mapping[str, TColumnSchema]],
        nested_tables: Iterable[str],
        *,
        primary_key: str = "id",
        timestamp_suffixes: tuple[str, ...] = ("_at",),
        typed_elsewhere: frozenset[str] = TYPED_ELSEWHERE,
        as_dict: Callable[[dict], dict] = to_row,
        variant: bool = False,
    ) -> None:
        """`timestamp_suffixes`/`typed_elsewhere`: the dict path's timestamp rule (numbers
        under keys with these suffixes, in the record and its objects but not in lists nor
        under `typed_elsewhere` keys, are UTC timestamps); `as_dict` applies it to a row for
        dlt's normalizer (the fallback). `variant`: the root table is a table variant of
        its resource (its items carry the table name)."""
        self.root = root
        self.row_id_type = "key_hash"
        self.arrow = True
        self.declared = {table: dict(columns) for table, columns in declared.items()}
        self.nested_tables = frozenset(nested_tables)
        self.primary_key = primary_key
        self.timestamp_suffixes = timestamp_suffixes
        self.typed_elsewhere = typed_elsewhere
        self.as_dict = as_dict
        self.variant = variant
        self._names: dict[str, dict[str, tuple[str, bool]]] = {}

    def prepare_for_destination(self, resource_name: str) -> None:
        """Settings for the destination being loaded. Arrow only where it loads parquet
        natively (`settings.PARQUET_DESTINATIONS`), else every batch goes as dicts. Root
        `_dlt_id`s as dlt's normalizer would make them for this resource and destination
        (`get_root_row_id_type`): a primary-key hash where the destination upserts, random
        where dlt falls back to append (plain parquet). Call inside the running extract: the
        destination's capabilities are in context, and the extracted source holds the
        resource as configured (e.g. a delta `table_format`)."""
        self.arrow = destination_kind(dlt.current.pipeline()) in PARQUET_DESTINATIONS
        resource = dlt.current.source().resources[resource_name]
        meta = TableNameMeta(self.root) if self.variant else None
        table = resource.compute_table_schema(meta=meta)
        strategy = resolve_merge_strategy({table["name"]: table}, table)
        self.row_id_type = "key_hash" if strategy in ("upsert", "insert-only", "cdc") else "random"

    def shape_or_none(self, records: list[dict], load_id: str) -> dict[str, pa.Table] | None:
        """`shape`, or None when these records go to dlt as dicts: the destination does not
        load parquet natively, or something in them cannot be mirrored (logged)."""
        if not self.arrow:
            return None
        try:
            return self.shape(records, load_id)
        except NotMirrorable as exc:
            logger.info("%s: %d records loaded as dicts (%s)", self.root, len(records), exc)
            return None

    def shape(self, records: list[dict], load_id: str) -> dict[str, pa.Table]:
        tables: dict[str, _Table] = {self.root: _Table()}
        for record in records:
            key = record.get(self.primary_key)
            if type(key) is not str:
                raise NotMirrorable(f"{self.root}.{self.primary_key} is not a string: {key!r}")
            if self.row_id_type == "key_hash":
                row_id = get_row_hash({self.primary_key: key}, [self.primary_key])
            else:
                row_id = generate_dlt_id()
            self._add(tables, self.root, record, {DLT_ID: row_id}, row_id)
        out: dict[str, pa.Table] = {}
        for name, table in tables.items():
            if table.rows:
                out[name] = self._to_arrow(name, table)
        root_table = out[self.root]
        out[self.root] = root_table.append_column(
            pa.field(DLT_LOAD_ID, pa.string(), nullable=False),
            pa.array([load_id] * root_table.num_rows, pa.string()),
        )
        return out

    # -- rows -------------------------------------------------------------------------------

    def _add(
        self,
        tables: dict[str, _Table],
        table_name: str,
        record: Mapping[str, Any],
        row: dict[str, Any],
        root_id: str,
    ) -> None:
        table = tables.setdefault(table_name, _Table())
        lists: list[tuple[str, list]] = []
        # `records.to_row` converts `*_at` numbers in the record and its objects, not in lists
        self._flatten(table, table_name, record, "", row, lists, convert=table_name == self.root)
        table.rows.append(row)
        parent_id = row[DLT_ID]
        for child_name, items in lists:
            if child_name not in self.nested_tables:
                raise NotMirrorable(f"unexpected list table {child_name}")
            for idx, item in enumerate(items):
                child_id = get_nested_row_hash(parent_id, child_name, idx)
                child_row = {
                    DLT_ROOT_ID: root_id,
                    DLT_PARENT_ID: parent_id,
                    DLT_LIST_IDX: idx,
                    DLT_ID: child_id,
                }
                if isinstance(item, Mapping):
                    self._add(tables, child_name, item, child_row, root_id)
                elif isinstance(item, list):
                    raise NotMirrorable(f"list of lists in {child_name}")
                elif item is not None:
                    child_row["value"] = item
                    tables.setdefault(child_name, _Table()).rows.append(child_row)

    def _flatten(
        self,
        table: _Table,
        table_name: str,
        record: Mapping[str, Any],
        prefix: str,
        row: dict[str, Any],
        lists: list[tuple[str, list]],
        *,
        convert: bool,
    ) -> None:
        names = self._names.get(prefix)
        if names is None:
            names = self._names[prefix] = {}
        for key, value in record.items():
            if value is None:
                continue  # the dict path drops nulls (records.to_row)
            entry = names.get(key)
            if entry is None:
                entry = names[key] = self._column_name(prefix, key)
            name, stamp_key = entry
            kind = type(value)
            if kind is dict:
                if value:
                    self._flatten(
                        table,
                        table_name,
                        value,
                        name,
                        row,
                        lists,
                        convert=convert and key not in self.typed_elsewhere,
                    )
            elif kind is list:
                if value:
                    lists.append((_NAMING.shorten_fragments(table_name, name), value))
            else:
                if convert and stamp_key and (kind is int or kind is float):
                    table.timestamp_names.add(name)
                row[name] = value

    def _column_name(self, prefix: str, key: str) -> tuple[str, bool]:
        """(flattened column name, whether the key names a timestamp), as dlt and
        `records.to_row` would see `key` under `prefix`."""
        norm = _NAMING.normalize_identifier(key) if key and not key.isspace() else "_empty"
        name = _NAMING.shorten_fragments(prefix, norm) if prefix else norm
        return name, key.endswith(self.timestamp_suffixes)

    # -- columns ----------------------------------------------------------------------------

    def _to_arrow(self, table_name: str, table: _Table) -> pa.Table:
        declared = self.declared.get(table_name, {})
        arrays, fields = [], []
        for name, values in _columns(table.rows).items():
            hint = declared.get(name)
            if name in NESTED_SYSTEM_COLUMNS or name == DLT_ID:
                data_type = "bigint" if name == DLT_LIST_IDX else "text"
            elif hint is not None and hint.get("data_type"):
                data_type = hint["data_type"]
            elif name in table.timestamp_names:
                data_type = "timestamp"
            else:
                data_type = _inferred_type(table_name, name, values)
            arrays.append(_column(table_name, name, values, data_type))
            nullable = not (name.startswith("_dlt_"))
            fields.append(pa.field(name, arrays[-1].type, nullable=nullable))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows as columns (None where a row lacks the key), in order of first appearance. One
    pass over the values rows hold: rows are sparse (nulls are dropped), so this beats a
    lookup of every column in every row."""
    count = len(rows)
    columns: dict[str, list[Any]] = {}
    for index, row in enumerate(rows):
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [None] * count
            column[index] = value
    return columns


def _inferred_type(table_name: str, name: str, values: list[Any]) -> str:
    for value in values:
        if value is not None:
            data_type = _PYTHON_TYPES.get(type(value))
            if data_type is None:
                raise NotMirrorable(f"{table_name}.{name}: value of type {type(value).__name__}")
            return data_type
    raise NotMirrorable(f"{table_name}.{name}: no value")  # unreachable: nulls are dropped


def _column(table_name: str, name: str, values: list[Any], data_type: str) -> pa.Array:
    """One typed column; NotMirrorable where pyarrow would coerce (2.5 -> 2, True -> 1.0)."""
    try:
        if data_type == "timestamp":
            if any(type(v) is not int for v in values if v is not None):
                raise NotMirrorable(f"{table_name}.{name}: timestamp that is not whole seconds")
            seconds = pa.array(values, pa.int64())
            return pc.multiply(seconds, 1_000_000).cast(_TIMESTAMP)
        if data_type == "bigint":
            if any(type(v) is not int for v in values if v is not None):
                raise NotMirrorable(f"{table_name}.{name}: bigint column with other values")
        elif data_type == "double" and any(
            type(v) is not int and type(v) is not float for v in values if v is not None
        ):
            raise NotMirrorable(f"{table_name}.{name}: double column with other values")
        arrow_type = _ARROW_TYPES.get(data_type)
        if arrow_type is None:
            raise NotMirrorable(f"{table_name}.{name}: column type {data_type}")
        return pa.array(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise NotMirrorable(f"{table_name}.{name}: {exc}") from None


def batched(pages: Iterable[list[dict]], rows: int) -> Iterator[list[dict]]:
    """Pages joined into lists of at least `rows` records (the last may be shorter): dlt
    spends milliseconds on every item it extracts (schema computation and validation)."""
    batch: list[dict] = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= rows:
            yield batch
            batch = []
    if batch:
        yield batch


def page_tables(shaper: ArrowShaper, rows: list[dict], hints: Any = None) -> list[Any]:
    """The items to yield for a batch of shaped rows: the root Arrow table (carrying `hints`,
    e.g. the custom attribute columns, when given), then one per nested table (marked with
    its name) — or, when the batch is not mirrorable, the rows as dicts for dlt's normalizer.
    Call inside a running dlt extract (it reads the load id)."""
    tables = shaper.shape_or_none(rows, dlt.current.load_package_state()["load_id"])
    if tables is None:
        root: Any = [shaper.as_dict(row) for row in rows]
        items: list[Any] = []
    else:
        root = tables.pop(shaper.root)
        items = [dlt.mark.with_table_name(table, name) for name, table in tables.items()]
    if hints is not None:
        root = dlt.mark.with_hints(root, hints, create_table_variant=shaper.variant)
    elif shaper.variant:
        root = dlt.mark.with_table_name(root, shaper.root)
    return [root, *items]
