"""The Arrow path equals dlt's own normalizer, table for table and key for key.

Oracle: the same shaped rows loaded as dicts through dlt's relational normalizer, with the hints
the resources had before the Arrow path existed (merge/upsert on `id`, the declared columns).
Records come from the emulator over HTTP; each entity is loaded twice into the same tables
(the second time with links changed), so upsert's nested-row replacement is compared too.
Quirky records (values dlt coerces, unknown lists, float timestamps …) must fall back to dicts
and still load identically.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import httpx
import pytest

from sources.intercom.arrow_rows import (
    ROOT_SYSTEM_COLUMNS,
    ArrowShaper,
    NotMirrorable,
    declare_nested_tables,
    page_tables,
)
from sources.intercom.companies import NESTED_TABLES as COMPANY_TABLES
from sources.intercom.companies import shape_company
from sources.intercom.contacts import NESTED_TABLES as CONTACT_TABLES
from sources.intercom.contacts import shape_contact
from sources.intercom.conversation_attributes import as_definitions
from sources.intercom.conversations import TIMESTAMP_SUFFIXES, _as_dict
from sources.intercom.parts import CONVERSATIONS, TICKETS, split_record
from sources.intercom.records import list_items, to_row
from sources.intercom.schema import custom_attribute_columns, table_columns
from sources.intercom.settings import merge_hints
from tests.helpers.duckdb_pipeline import duckdb_pipeline

# Hints dlt's normalizer sets itself; compared between the two paths.
KEY_HINTS = ("data_type", "nullable", "primary_key", "unique", "row_key", "root_key", "parent_key")


class Table:
    """One root table's shaping: declared columns, nested tables, timestamp rule."""

    def __init__(
        self,
        name: str,
        nested: tuple[str, ...],
        *,
        suffixes: tuple[str, ...] = ("_at",),
        typed_elsewhere: frozenset[str] | None = None,
        as_dict: Callable[[dict], dict] = to_row,
    ) -> None:
        self.name, self.nested, self.as_dict = name, nested, as_dict
        self.columns = table_columns(name, "2.16")
        self.kwargs: dict[str, Any] = {"timestamp_suffixes": suffixes, "as_dict": as_dict}
        if typed_elsewhere is not None:
            self.kwargs["typed_elsewhere"] = typed_elsewhere

    def shaper(self) -> ArrowShaper:
        return ArrowShaper(self.name, {self.name: self.columns}, self.nested, **self.kwargs)


CONTACTS = Table("contacts", CONTACT_TABLES)
COMPANIES = Table("companies", COMPANY_TABLES)


def _with_parts(name: str, nested: tuple[str, ...]) -> Table:
    """A table of conversations.py's shaping (its timestamp rule and dict fallback)."""
    return Table(
        name, nested, suffixes=TIMESTAMP_SUFFIXES, typed_elsewhere=frozenset(), as_dict=_as_dict
    )


CONVERSATION_ROOT = _with_parts("conversations", CONVERSATIONS.nested_tables)
CONVERSATION_PARTS = _with_parts("conversation_parts", CONVERSATIONS.parts_nested_tables)
TICKET_ROOT = _with_parts("tickets", TICKETS.nested_tables)


def load(
    root: Path, dataset: str, table: Table, batches: list[list[dict]], *, arrow: bool
) -> dlt.Pipeline:
    """Load `batches` (one run each) into `dataset`, through Arrow or through dicts."""
    pipeline = duckdb_pipeline(
        dataset, root / "pipelines", root / f"warehouse_{dataset}.duckdb", dataset
    )
    for batch in batches:
        columns = {**table.columns, **ROOT_SYSTEM_COLUMNS} if arrow else table.columns
        resource = dlt.resource(
            _items(table, batch, arrow=arrow),
            name=table.name,
            write_disposition=merge_hints(),
            primary_key="id",
            columns=columns,
            file_format="parquet",
        )
        if arrow:
            declare_nested_tables(resource, dict.fromkeys(table.nested, table.name))
        pipeline.run(resource).raise_on_failed_jobs()
    return pipeline


def _items(table: Table, batch: Any, *, arrow: bool) -> Iterator[Any]:
    """One run's items: `batch` (a list of records), or a tuple of them — one item each,
    shaped by one shaper, as a resource yields batch after batch."""
    batches = batch if isinstance(batch, tuple) else (batch,)
    if arrow:
        shaper = table.shaper()
        shaper.prepare_for_destination(table.name)
        for rows in batches:
            yield from page_tables(shaper, copy.deepcopy(rows))
    else:
        for rows in batches:  # (the dict path converts in place)
            yield [table.as_dict(row) for row in copy.deepcopy(rows)]


def contents(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """Every data table: its columns' key hints and its rows (without `_dlt_load_id`)."""
    schema = pipeline.default_schema
    out: dict[str, Any] = {}
    with pipeline.sql_client() as client:
        for name in schema.data_table_names(seen_data_only=True):
            columns = {
                column: {hint: spec.get(hint) for hint in KEY_HINTS if spec.get(hint)}
                for column, spec in schema.get_table_columns(name).items()
                if column != "_dlt_load_id"
            }
            selected = ", ".join(f'"{column}"' for column in sorted(columns))
            rows = client.execute_sql(f"SELECT {selected} FROM {name}")
            out[name] = {
                "parent": schema.tables[name].get("parent"),
                "columns": columns,
                "rows": sorted(repr(tuple(row)) for row in rows),
            }
    return out


def assert_same(tmp_path: Path, table: Table, batches: list[list[dict]]) -> dict[str, Any]:
    expected = contents(load(tmp_path, "dicts", table, batches, arrow=False))
    got = contents(load(tmp_path, "arrow", table, batches, arrow=True))
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name]["parent"] == expected[name]["parent"], name
        assert got[name]["columns"] == expected[name]["columns"], name
        assert got[name]["rows"] == expected[name]["rows"], name
    return got


def fetch(emu: Any, path: str, body: dict | None = None, pages: int = 2) -> list[dict]:
    """Records of a search (POST) or a list (GET), `pages` pages of 50."""
    records: list[dict] = []
    with httpx.Client(base_url=emu.base_url, headers=emu.headers("2.16")) as http:
        cursor = None
        entity = path.strip("/").split("/")[0]
        key = entity if entity in ("conversations", "tickets") else "data"  # the real key
        for number in range(1, pages + 1):
            if body is None:  # page-numbered lists
                page = http.get(path, params={"per_page": 50, "page": number}).json()
                records += list_items(page, key)
                continue
            pagination = {"per_page": 50, **({"starting_after": cursor} if cursor else {})}
            page = http.post(path, json={**body, "pagination": pagination}).json()
            records += list_items(page, key)
            cursor = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
            if not cursor:
                break
    return records


EVERYTHING = {"query": {"field": "updated_at", "operator": ">", "value": 0}}


def retag(rows: list[dict], link_table: str) -> list[dict]:
    """The rows again, each with its first link dropped and a new one added (a second run)."""
    changed = copy.deepcopy(rows)
    for index, row in enumerate(changed):
        links = row.get(link_table)
        if links:
            template = links.pop(0)
            child_key = list(template)[-1]  # {"<parent>_id": …, "<child>_id": …}
            links.append({**template, child_key: f"new-{index}"})
    return changed


@pytest.fixture
def emu(emulator: Callable[..., Any]) -> Any:
    return emulator(seed=4, scale="tiny")


def test_contacts_equal_dlt_normalizer(tmp_path: Path, emu: Any) -> None:
    rows = [shape_contact(c)[0] for c in fetch(emu, "/contacts/search", EVERYTHING)]
    assert any(row.get("tags") for row in rows) and any(row.get("companies") for row in rows)
    CONTACTS.shaper().shape(copy.deepcopy(rows), "1")  # the fast path, not the fallback
    got = assert_same(tmp_path, CONTACTS, [rows, retag(rows, "tags")])
    assert got["contacts__tags"]["rows"] and got["contacts__companies"]["rows"]


def test_companies_equal_dlt_normalizer(tmp_path: Path, emu: Any) -> None:
    rows = [shape_company(c) for c in fetch(emu, "/companies", pages=2)]
    COMPANIES.shaper().shape(copy.deepcopy(rows), "1")
    got = assert_same(tmp_path, COMPANIES, [rows, retag(rows, "segments")])
    assert got["companies__segments"]["rows"]


@pytest.mark.parametrize("entity", [CONVERSATIONS, TICKETS], ids=lambda e: e.name)
def test_conversations_and_parts_equal_dlt_normalizer(
    tmp_path: Path, emu: Any, entity: Any
) -> None:
    listed = fetch(emu, f"/{entity.name}/search", EVERYTHING, pages=1)[:25]
    with httpx.Client(base_url=emu.base_url, headers=emu.headers("2.16")) as http:
        records = [http.get(f"/{entity.name}/{r['id']}").json() for r in listed]
        attributes = http.get("/conversations/attributes").json()["data"]
    split = [split_record(entity, record) for record in records]
    roots, parts = [row for row, _ in split], [p for _, ps in split for p in ps]
    root_table = CONVERSATION_ROOT if entity is CONVERSATIONS else TICKET_ROOT
    if entity is CONVERSATIONS:  # typed from their definitions, as the resource does
        root_table = copy.copy(root_table)
        custom = custom_attribute_columns(as_definitions(attributes))
        assert custom["custom_attributes__refund_amount"]["data_type"] == "double"
        root_table.columns = {**root_table.columns, **custom}
    root_table.shaper().shape(copy.deepcopy(roots), "1")
    assert_same(tmp_path / "root", root_table, [roots, retag(roots, "contacts")])
    if entity is CONVERSATIONS:
        assert parts
        CONVERSATION_PARTS.shaper().shape(copy.deepcopy(parts), "1")
        assert_same(tmp_path / "parts", CONVERSATION_PARTS, [parts])


# Records the Arrow path must not shape itself (dlt would coerce, variant or nest them); each
# loads through the fallback exactly as dlt loads it.
QUIRKS = {
    "float timestamp": {"id": "q1", "updated_at": 1767225600.5},
    "bool in an integer column": {"id": "q3", "custom_attributes": {"seats": True}},
    "int then str in an unknown column": [{"id": "q4", "extra": 1}, {"id": "q5", "extra": "x"}],
    "unknown list of objects": {"id": "q6", "gadgets": [{"name": "a"}, {"name": "b"}]},
    "an object, then a value under one key": [
        {"id": "q7", "location": {"city": "Oslo"}},
        {"id": "q8", "location": "Oslo"},
    ],
    "two keys that name one column": {"id": "q9", "custom_attributes": {"Plan": "a", "plan": "b"}},
    "a null among the objects of a list": {
        "id": "q11",
        "tags": [{"contact_id": "q11", "tag_id": "1"}, None],
    },
    "a list holding only nulls": {"id": "q12", "tags": [None, None]},
    # microseconds where seconds belong: past any calendar (it wrapped into a wrong instant)
    "a timestamp beyond any calendar": {"id": "q13", "renewed_at": 1_700_000_000_000_000},
    "objects and values in one list": {
        "id": "q10",
        "tags": [{"contact_id": "q10", "tag_id": "1"}, "2"],
    },
}


@pytest.mark.parametrize("case", sorted(QUIRKS))
def test_quirky_records_fall_back_and_load_identically(tmp_path: Path, case: str) -> None:
    quirk = QUIRKS[case]
    rows = quirk if isinstance(quirk, list) else [quirk]
    base = {"type": "contact", "role": "user", "created_at": 1767225600}
    rows = [{**base, **row} for row in rows]
    table = Table("contacts", CONTACT_TABLES)
    table.columns = {**table.columns, "custom_attributes__seats": {"data_type": "bigint"}}
    with pytest.raises(NotMirrorable):
        table.shaper().shape(copy.deepcopy(rows), "1")
    assert_same(tmp_path, table, [rows])


def test_an_int_in_a_text_column_is_mirrored_as_dlt_coerces_it(tmp_path: Path) -> None:
    """An id the API sends as a number (`admin_assignee_id`) into its declared text column:
    shaped as Arrow as `str(value)`, exactly what dlt's normalizer makes of it."""
    base = {"type": "contact", "role": "user", "created_at": 1767225600}
    rows = [{**base, "id": "q2", "email": 12345, "owner_id": 7}, {**base, "id": "q3"}]
    table = Table("contacts", CONTACT_TABLES)
    shaped = table.shaper().shape(copy.deepcopy(rows), "1")["contacts"]
    assert shaped.column("owner_id").to_pylist() == ["7", None]
    assert_same(tmp_path, table, [rows])


@pytest.mark.parametrize("in_one_run", [False, True], ids=["two runs", "two batches of a run"])
def test_a_column_keeps_the_type_it_was_first_loaded_with(tmp_path: Path, in_one_run: bool) -> None:
    """3 and later 3.5 under one undeclared key: the 3.5 goes where dlt's normalizer puts it
    (a variant column), never into the first batch's bigint column, cast to 4 on load."""
    first = [{"id": "a", "type": "contact", "score": 3}]
    second = [{"id": "b", "type": "contact", "score": 3.5, "email": "b@x.io"}]
    second_alone = copy.deepcopy(second)
    CONTACTS.shaper().shape(second_alone, "1")  # mirrorable on its own: as a double
    runs = [(first, second)] if in_one_run else [first, second]
    got = assert_same(tmp_path, CONTACTS, runs)
    assert got["contacts"]["columns"]["score"]["data_type"] == "bigint"
    assert got["contacts"]["columns"]["score__v_double"]["data_type"] == "double"


def test_clean_unusual_records_take_the_fast_path_identically(tmp_path: Path) -> None:
    rows = [
        {
            "id": "u1",
            "type": "contact",
            "name": "Zoë 🎈 张",
            "updated_at": 1767225600,
            "custom_attributes": {"favourite emoji 🎈": "x", "renewal_at": 1767225600},
            "location": {"city": None, "country": "Brasil"},
            "avatar": {},
            "social_profiles": [{"name": "gh", "url": None, "contact_id": "u1"}],
            "tags": [],
        },
        {"id": "u2", "type": "contact", "location": {"city": "São Paulo"}, "tags": None},
    ]
    tables = CONTACTS.shaper().shape(copy.deepcopy(rows), "load-1")
    assert tables["contacts"].column("_dlt_load_id").to_pylist() == ["load-1", "load-1"]
    assert tables["contacts"].column("updated_at").to_pylist()[0] == dt.datetime(
        2026, 1, 1, tzinfo=dt.timezone.utc
    )
    assert_same(tmp_path, CONTACTS, [rows])


# Random records, generated from a seed: keys that collide once normalized, timestamps, nested
# objects, lists of objects and of values, nulls, empty objects and lists. "clean" batches keep
# one type per key (the shape of API data) and must take the Arrow path; "messy" ones mix
# types and may fall back. Either way both paths must load the same tables.
_RANDOM_KEYS = (
    "name",
    "Plan",
    "plan",
    "seats",
    "ratio",
    "flag",
    "renewal_at",
    "obj",
    "items",
    "custom_attributes",  # `*_at` numbers inside stay numbers
)
_RANDOM_TABLES = tuple(
    f"contacts__{table}" for table in ("items", "obj__items", "plan", "seats", "name", "flag")
)


def _clean_value(rng: Any, key: str) -> Any:
    if rng.random() < 0.2:
        return None
    if key == "obj":
        obj = {"city": rng.choice(["Oslo", "Zoë", ""]), "zip_at": rng.randrange(10**9)}
        if rng.random() < 0.5:
            obj["items"] = [rng.choice(["a", "b", None]) for _ in range(rng.randrange(3))]
        return obj if rng.random() < 0.9 else {}
    if key == "custom_attributes":
        attributes = {"renewal_at": rng.randrange(10**9), "Tier": rng.choice(["a", "b"])}
        # and a few of many (sparse objects are gathered value by value)
        for number in rng.sample(range(60), rng.randrange(3)):
            attributes[f"attr_{number}"] = f"v{number}" if number % 2 else number
        return attributes
    if key == "items":
        return [
            {"k": f"k{rng.randrange(9)}", "n": rng.randrange(-5, 5)}
            for _ in range(rng.randrange(4))
        ]
    return {
        "name": lambda: f"n{rng.randrange(100)} 🎈",
        "Plan": lambda: rng.choice(["free", "pro"]),
        "plan": lambda: None,  # would collide with "Plan": clean batches leave it empty
        "seats": lambda: rng.randrange(1, 500),
        "ratio": lambda: rng.random(),
        "flag": lambda: rng.random() < 0.5,
        "renewal_at": lambda: rng.randrange(10**9, 2 * 10**9),
    }[key]()


def _messy_value(rng: Any, depth: int = 0) -> Any:
    kinds = ["none", "int", "float", "bool", "str", "dict", "list"][: 7 if depth < 2 else 5]
    kind = rng.choice(kinds)
    if kind == "dict":
        return {
            rng.choice(_RANDOM_KEYS): _messy_value(rng, depth + 1) for _ in range(rng.randrange(3))
        }
    if kind == "list":
        return [_messy_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {
        "none": None,
        "int": rng.randrange(-3, 3),
        "float": rng.choice([0.5, 2.0, -1.25]),
        "bool": rng.random() < 0.5,
        "str": rng.choice(["x", "", "ü"]),
    }[kind]


def _random_rows(seed: int, messy: bool) -> list[dict]:
    import random

    rng = random.Random(seed)
    rows = []
    for index in range(30):
        row: dict[str, Any] = {"id": f"r{seed}-{index}", "type": "contact"}
        for key in rng.sample(_RANDOM_KEYS, rng.randrange(len(_RANDOM_KEYS) + 1)):
            row[key] = _messy_value(rng) if messy and rng.random() < 0.3 else _clean_value(rng, key)
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("seed", "messy"), [(s, False) for s in range(2)] + [(s, True) for s in range(4, 9)]
)
def test_random_records_load_identically_both_ways(tmp_path: Path, seed: int, messy: bool) -> None:
    table = Table("contacts", _RANDOM_TABLES)
    rows = _random_rows(seed, messy)
    if not messy:
        table.shaper().shape(copy.deepcopy(rows), "1")  # clean data takes the Arrow path
    assert_same(tmp_path, table, [rows])
