"""Shape a page of records into Arrow tables exactly as dlt's relational normalizer would.

dlt normalises dict items one row at a time in Python, which costs more CPU than everything
else in a contacts sync. Arrow items skip that step (dlt writes them to parquet as they are),
but dlt then adds neither the nested link tables nor the `_dlt_id` keys that upsert needs to
replace a record's links. This module builds both, with dlt's key hashes (`key_row_id`,
`nested_row_id` in `dlt_compat`: dlt's functions inlined, checked equal to them):

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
from itertools import chain, repeat
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema.typing import TColumnSchema
from dlt.sources import DltResource

from sources.intercom.dlt_compat import (
    declare_bare_nested_table,
    key_row_id,
    merge_strategy_of,
    nested_row_id,
    random_row_id,
    variant_table_schema,
)
from sources.intercom.naming import column_key
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
    `tests/sources/test_arrow_rows.py` checks the resulting schema equals the one dlt's
    normalizer builds."""
    for table, parent in tables.items():
        declare_bare_nested_table(resource, table, parent, NESTED_SYSTEM_COLUMNS)


def nested_table_name(*parts: str) -> str:
    """`("contacts", "tags")` -> `contacts__tags`, as dlt names the table of a list field."""
    return _NAMING.shorten_fragments(*(_NAMING.normalize_table_identifier(p) for p in parts))


_NONE = type(None)
_EMPTY: dict[str, Any] = {}  # stands in for a missing object; never written to


class _Columns:
    """A table's columns while it is shaped: values by name (in order), the set of each
    column's value types (None excluded) where already known, and the `*_at` columns that
    hold numbers (timestamps by the dict path's rule)."""

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self.values = values
        self.kinds: dict[str, set[type]] = {}
        self.timestamps: set[str] = set()


class ArrowShaper:
    """Turns pages of one root table into `{table name: pa.Table}`.

    `declared`: column hints per table name (root: the API model + custom attributes).
    `nested_tables`: the list tables this shaper may produce; any other list -> NotMirrorable
    (the resource declares these tables' hints before extraction starts).

    Column by column: a column's values are gathered with C-level `map(dict.get, ...)` and
    typed by the set of their Python types, so Python code runs per column and per list item,
    not per value. Columns come in order of first appearance of their key in the records
    (dlt orders by the first non-null value; only columns the schema does not declare yet
    can differ in position, never in name, type or content).
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
        # The tables of the schema being extracted (set in the running extract): a column
        # that exists keeps its type, as dlt's normalizer keeps it.
        self.schema_tables: Mapping[str, Any] | None = None
        # Types this shaper gave columns in batches already yielded (dlt adds them to the
        # schema only as it writes those items, which may be after the next batch is shaped).
        self._emitted: dict[str, dict[str, TColumnSchema]] = {}
        self._deciding: dict[str, dict[str, TColumnSchema]] = {}
        # (table, prefix) -> key -> (column name, names a timestamp, nested table of a list)
        self._names: dict[tuple[str, str], dict[str, tuple[str, bool, str]]] = {}

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
        table = variant_table_schema(resource, self.root if self.variant else None)
        strategy = merge_strategy_of(table)
        self.row_id_type = "key_hash" if strategy in ("upsert", "insert-only", "cdc") else "random"
        self.schema_tables = dlt.current.source_schema().tables

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
        if set(map(type, records)) - {dict}:
            raise NotMirrorable(f"{self.root}: a record that is not a JSON object")
        keys = list(map(dict.get, records, repeat(self.primary_key)))
        if set(map(type, keys)) - {str}:
            key = next(key for key in keys if type(key) is not str)
            raise NotMirrorable(f"{self.root}.{self.primary_key} is not a string: {key!r}")
        if self.row_id_type == "key_hash":
            row_ids = list(map(key_row_id, repeat(self.primary_key), keys))
        else:
            row_ids = [random_row_id() for _ in keys]
        out: dict[str, pa.Table] = {}
        self._deciding = {}
        self._shape_table(out, self.root, records, {DLT_ID: row_ids}, row_ids)
        for table_name, columns in self._deciding.items():  # only once the batch is mirrored
            self._emitted.setdefault(table_name, {}).update(columns)
        root_table = out[self.root]
        out[self.root] = root_table.append_column(
            pa.field(DLT_LOAD_ID, pa.string(), nullable=False),
            pa.array([load_id] * root_table.num_rows, pa.string()),
        )
        return out

    # -- tables -----------------------------------------------------------------------------

    def _shape_table(
        self,
        out: dict[str, pa.Table],
        table_name: str,
        records: list[dict],
        system: dict[str, list[Any]],
        root_ids: list[str],
    ) -> None:
        """`records` (dicts) as the table `table_name` with the `system` columns first, then
        the tables of the lists they hold."""
        columns = _Columns(dict(system))
        lists: list[tuple[str, list[Any]]] = []
        # `records.to_row` converts `*_at` numbers in the record and its objects, not in lists
        convert = table_name == self.root
        self._flatten(table_name, records, "", convert, columns, lists)
        out[table_name] = self._to_arrow(table_name, columns)
        row_ids = system[DLT_ID]
        for child_name, values in lists:
            if child_name not in self.nested_tables:
                raise NotMirrorable(f"unexpected list table {child_name}")
            self._shape_list(out, child_name, values, row_ids, root_ids)

    def _shape_list(
        self,
        out: dict[str, pa.Table],
        table_name: str,
        lists: list[Any],
        parent_ids: list[str],
        root_ids: list[str],
    ) -> None:
        """The nested table of one list column: a row per item, with dlt's link columns."""
        if table_name in out:
            raise NotMirrorable(f"two lists make the table {table_name}")
        items: list[Any] = []
        item_root_ids: list[str] = []
        item_parent_ids: list[str] = []
        item_idx: list[int] = []
        for index, values in enumerate(lists):
            if not values:
                continue
            parent_id, root_id = parent_ids[index], root_ids[index]
            for idx, item in enumerate(values):
                items.append(item)  # a null item too: dlt makes it a row with a null `value`
                item_parent_ids.append(parent_id)
                item_root_ids.append(root_id)
                item_idx.append(idx)
        if not items:
            return
        system = {
            DLT_ROOT_ID: item_root_ids,
            DLT_PARENT_ID: item_parent_ids,
            DLT_LIST_IDX: item_idx,
            DLT_ID: list(map(nested_row_id, item_parent_ids, repeat(table_name), item_idx)),
        }
        kinds = set(map(type, items))
        if kinds == {dict}:
            self._shape_table(out, table_name, items, system, item_root_ids)
        elif not kinds.isdisjoint(_CONTAINERS):
            # (objects with nulls too: dlt makes a null item a `value` row among object rows)
            raise NotMirrorable(f"{table_name}: a list of objects, lists or values mixed")
        else:  # a list of scalars: a `value` column
            system["value"] = items
            out[table_name] = self._to_arrow(table_name, _Columns(system))

    # -- columns ----------------------------------------------------------------------------

    def _flatten(
        self,
        table_name: str,
        records: list[dict],
        prefix: str,
        convert: bool,
        columns: _Columns,
        lists: list[tuple[str, list[Any]]],
    ) -> None:
        """Every key of `records` (objects of one level, `_EMPTY` where a record has none)
        as a column of `columns`; objects flattened into `<key>__<field>` columns, lists
        collected into `lists` for their nested tables."""
        names = self._names.get((table_name, prefix))
        if names is None:
            names = self._names[(table_name, prefix)] = {}
        for key, values in _gathered(records).items():
            entry = names.get(key)
            if entry is None:
                entry = names[key] = self._column_name(table_name, prefix, key)
            name, stamp_key, list_table = entry
            kinds = set(map(type, values))
            kinds.discard(_NONE)  # the dict path drops nulls (records.to_row)
            if not kinds:
                continue
            if dict in kinds:
                if len(kinds) > 1:
                    raise NotMirrorable(f"{table_name}.{name}: an object and other values")
                objects = [value or _EMPTY for value in values]
                inner = convert and key not in self.typed_elsewhere
                self._flatten(table_name, objects, name, inner, columns, lists)
            elif list in kinds:
                if len(kinds) > 1:
                    raise NotMirrorable(f"{table_name}.{name}: a list and other values")
                if any(values):  # empty lists make no rows (nor need a known table)
                    lists.append((list_table, values))
            else:
                if name in columns.values:
                    raise NotMirrorable(f"{table_name}: two keys make the column {name}")
                if convert and stamp_key and (int in kinds or float in kinds):
                    columns.timestamps.add(name)
                columns.values[name] = values
                columns.kinds[name] = kinds

    def _column_name(self, table_name: str, prefix: str, key: str) -> tuple[str, bool, str]:
        """(flattened column name, whether the key names a timestamp, the nested table of a
        list under it), as dlt and `records.to_row` would see `key` under `prefix`."""
        norm = column_key(key)
        name = _NAMING.shorten_fragments(prefix, norm) if prefix else norm
        list_table = _NAMING.shorten_fragments(table_name, name)
        return name, key.endswith(self.timestamp_suffixes), list_table

    def _to_arrow(self, table_name: str, columns: _Columns) -> pa.Table:
        # A column that exists keeps its type — in the schema (earlier runs, batches dlt has
        # written) or in a batch this shaper yielded — as dlt's normalizer keeps it: values
        # of another type (3.5 for a bigint) make the batch NotMirrorable, and dlt then makes
        # its variant column, where a typed Arrow column would be cast on load (3.5 -> 4).
        table = (self.schema_tables or {}).get(table_name) or {}
        known = [
            table.get("columns") or {},
            self._emitted.get(table_name, {}),
            self.declared.get(table_name, {}),
        ]
        deciding = self._deciding.setdefault(table_name, {})
        arrays, fields = [], []
        for name, values in columns.values.items():
            if name in NESTED_SYSTEM_COLUMNS or name == DLT_ID:
                data_type = "bigint" if name == DLT_LIST_IDX else "text"
                kinds = {int} if name == DLT_LIST_IDX else {str}
            else:
                kinds = columns.kinds.get(name)
                if kinds is None:
                    kinds = set(map(type, values))
                    kinds.discard(_NONE)
                data_type = _known_type(known, name)
                if data_type is None:
                    if name in columns.timestamps:
                        data_type = "timestamp"
                    else:
                        data_type = _inferred_type(table_name, name, values, kinds)
                deciding[name] = {"data_type": data_type}  # type: ignore[typeddict-item]
            arrays.append(_column(table_name, name, values, data_type, kinds))
            nullable = not (name.startswith("_dlt_"))
            fields.append(pa.field(name, arrays[-1].type, nullable=nullable))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _known_type(known: list[Mapping[str, TColumnSchema]], name: str) -> str | None:
    """The first data type the column schemas in `known` give the column."""
    for columns in known:
        data_type = (columns.get(name) or {}).get("data_type")
        if data_type:
            return data_type
    return None


def _gathered(records: list[dict]) -> dict[str, list[Any]]:
    """Every key's values over `records` (None where a record lacks it), keys in order of
    first appearance. Where most records hold most keys, a C-level pass per key
    (`map(dict.get, …)`); where they hold few of them (custom attributes in a workspace
    with hundreds defined, each record setting a few), a Python step per value present
    (measured, 500 keys with 10 set per record: 34 µs per record shaped with a pass per key,
    13 µs this way)."""
    keys = dict.fromkeys(chain.from_iterable(records))
    count = len(records)
    if sum(map(len, records)) * 4 >= len(keys) * count:
        return {key: list(map(dict.get, records, repeat(key))) for key in keys}
    columns: dict[str, list[Any]] = {key: [None] * count for key in keys}
    for index, record in enumerate(records):
        for key, value in record.items():
            columns[key][index] = value
    return columns


_INT_OR_TEXT = frozenset({int, str})
# Values no column holds: the dict path would nest, variant or refuse them.
_CONTAINERS = frozenset({dict, list, tuple, set})
# The Python types each column type takes as they are (dlt coerces the others).
_TAKES = {
    "timestamp": frozenset({int}),
    "bigint": frozenset({int}),
    "double": frozenset({int, float}),
    "text": frozenset({str}),
    "bool": frozenset({bool}),
}


def _inferred_type(table_name: str, name: str, values: list[Any], kinds: set[type]) -> str:
    """dlt's type for a column: that of its first value (the only type, mostly)."""
    if len(kinds) == 1:
        (kind,) = kinds
        data_type = _PYTHON_TYPES.get(kind)
        if data_type is None:
            raise NotMirrorable(f"{table_name}.{name}: value of type {kind.__name__}")
        return data_type
    for value in values:
        if value is not None:
            data_type = _PYTHON_TYPES.get(type(value))
            if data_type is None:
                raise NotMirrorable(f"{table_name}.{name}: value of type {type(value).__name__}")
            return data_type
    # (a list holding only nulls: dlt makes its rows without a `value` column)
    raise NotMirrorable(f"{table_name}.{name}: no value")


def _column(
    table_name: str, name: str, values: list[Any], data_type: str, kinds: set[type]
) -> pa.Array:
    """One typed column; NotMirrorable unless every value is of a Python type the column
    takes as it is (pyarrow would coerce `2.5` -> 2 or `True` -> 1.0; dlt coerces or makes a
    variant column)."""
    takes = _TAKES.get(data_type)
    if data_type == "text" and int in kinds and kinds <= _INT_OR_TEXT:
        # dlt's normalizer coerces an integer into a text column as `str(value)` (an id the
        # API sends as a number, e.g. `admin_assignee_id`, into its declared text column)
        values = [str(value) if type(value) is int else value for value in values]
        kinds = {str}
    if takes is None:
        raise NotMirrorable(f"{table_name}.{name}: column type {data_type}")
    if not kinds <= takes:
        if data_type == "timestamp":
            raise NotMirrorable(f"{table_name}.{name}: timestamp that is not whole seconds")
        found = ", ".join(sorted(kind.__name__ for kind in kinds - takes))
        raise NotMirrorable(f"{table_name}.{name}: {data_type} column with {found} values")
    try:
        if data_type == "timestamp":
            seconds = pa.array(values, pa.int64())
            # checked: a value past year 294,247 would wrap around into a wrong instant
            return pc.multiply_checked(seconds, 1_000_000).cast(_TIMESTAMP)
        return pa.array(values, _ARROW_TYPES[data_type])
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
