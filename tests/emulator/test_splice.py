"""Spliced renders (emulator.http.splice) are byte-identical to parsing and rendering in full."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.http.serving import LIST_VARIANT, RENDERERS, SPLICES, VARIANTS, render_record
from emulator.http.splice import render_spliced
from emulator.versions import parse_version
from emulator.world import WorldConfig
from emulator.world.activity import advance
from emulator.world.generate import generate_world
from emulator.world.store import Store
from tests.helpers.http import client

MODERN = [parse_version(name, "2.16") for name in ("2.16", "Preview")]
LEGACY = parse_version("2.9", "2.16")


def _renderer(entity: str, variant: str):
    return VARIANTS[(entity, variant)] if variant else RENDERERS[entity]


def _full_render(record: dict, entity: str, variant: str, version) -> bytes:
    return orjson.dumps(_renderer(entity, variant)(record, version))


@pytest.mark.parametrize("storage", ["json", "zjson"])
def test_every_world_record_splices_to_the_full_render(storage):
    world = generate_world(WorldConfig(seed=5, scale="tiny", storage=storage))
    advance(world, 2 * 86_400)  # changed records too (new parts, tags, merges …)
    for (entity, variant), splice in SPLICES.items():
        store: Store = getattr(world, entity)
        read = store.get_head if variant == LIST_VARIANT else store.get
        render = _renderer(entity, variant)
        for record_id in store.ids():
            text = store.get_public_text(record_id)
            for version in MODERN:
                spliced = render_spliced(text, splice, lambda tail: render(tail, version))  # noqa: B023
                # generated records have the layout the shortcut expects: it must apply
                assert spliced is not None, (entity, record_id)
                assert spliced == _full_render(read(record_id), entity, variant, version)
            # what the HTTP layer serves, in a version the splice does not handle too
            for version in (*MODERN, LEGACY):
                assert render_record(store, entity, record_id, version, variant) == _full_render(
                    read(record_id), entity, variant, version
                )


# Adversarial records: the anchor and marker names as nested keys and inside strings, internal
# keys and embedded lists anywhere, strings with quotes, commas and braces.
NAMES = [
    "owner_id",
    "type",
    "id",
    "tags",
    "notes",
    "companies",
    "merge_history",
    "conversation_parts",
    "ticket_parts",
    "has_more",
    "data",
    "total_count",
    "role",
    "_segment_ids",
    "_x",
]
FRAGMENTS = [*'ab,:"{}[]\\_ ', *NAMES, ',"tags":{', ',"_x":', '"has_more":false']
TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=5).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)


def _embedded_list(items: list, total: int | bool, has_more: bool) -> dict:
    return {"type": "list", "data": items, "url": "/x", "total_count": total, "has_more": has_more}


JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(NAMES) | TEXT, children, max_size=4),
        st.builds(
            _embedded_list,
            st.lists(children, max_size=13),
            st.integers(0, 14) | st.booleans(),
            st.booleans(),
        ),
    ),
    max_leaves=12,
)
MEMBERS = st.lists(st.tuples(st.sampled_from(NAMES) | TEXT, JSON), max_size=8)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(SPLICES)), MEMBERS, JSON, MEMBERS, st.sampled_from(MODERN))
def test_arbitrary_records_splice_to_the_full_render(key, head, anchor_value, tail, version):
    entity, variant = key
    splice = SPLICES[key]
    record = {**dict(head), "id": "1", "updated_at": 0}
    if splice.anchor is not None:
        record.setdefault(splice.anchor, anchor_value)  # usually the anchor is a top-level key
    for name, value in tail:
        record.setdefault(name, value)
    store = Store(entity, "json")
    store.put(record)
    render = _renderer(entity, variant)
    spliced = render_spliced(
        store.get_public_text("1"), splice, lambda tail_record: render(tail_record, version)
    )
    if spliced is not None:
        assert spliced == _full_render(store.get("1"), entity, variant, version)


# What a world's contact can hold (the renderer turns it into an integer). Nested `owner_id`
# keys (NAMES) can hold anything.
OWNER_IDS = st.none() | st.from_regex(r"\A[0-9]{0,6}\Z") | st.integers(0, 99)


@settings(max_examples=400, deadline=None)
@given(MEMBERS, st.booleans(), OWNER_IDS, JSON, MEMBERS)
def test_legacy_contacts_are_the_2_16_splice_with_an_integer_owner_id(
    head, with_owner, owner_id, tags, tail
):
    """2.9 contacts: the 2.16 splice, then `owner_id` rewritten — or the full render whenever
    that cannot be proven equal (owner_id absent, nested, or not a digit string)."""
    top_level = [(k, v) for k, v in head + tail if k != "owner_id"]
    record = {**dict(top_level[: len(head)]), "id": "1", "updated_at": 0}
    if with_owner:
        record["owner_id"] = owner_id
    record.setdefault("tags", tags)
    for name, value in top_level[len(head) :]:
        record.setdefault(name, value)
    store = Store("contacts", "json")
    store.put(record)
    served = render_record(store, "contacts", "1", LEGACY)
    assert served == _full_render(store.get("1"), "contacts", "", LEGACY)


@pytest.mark.parametrize("version", ["2.16", "2.12"])  # 2.12: legacy shapes, tickets search
def test_packed_and_dict_storage_serve_identical_pages(emulator_factory, version):
    """Over HTTP: a world kept as JSON text (spliced renders) serves the same bytes as the same
    world kept as dicts (full renders) — lists, searches and single records."""
    servers = [
        emulator_factory(WorldConfig(seed=4, scale="tiny", storage=storage))
        for storage in ("dict", "json")
    ]
    since = {"query": {"field": "updated_at", "operator": ">", "value": 0}}
    requests = [
        ("GET", "/contacts", {"per_page": 150}, None),
        ("GET", "/conversations", {"per_page": 150}, None),
        ("GET", "/companies", {"per_page": 150}, None),
        ("POST", "/contacts/search", None, {**since, "pagination": {"per_page": 150}}),
        ("POST", "/conversations/search", None, {**since, "pagination": {"per_page": 150}}),
        ("POST", "/tickets/search", None, {**since, "pagination": {"per_page": 150}}),
    ]
    contacts = servers[0].world.contacts.ids()
    requests += [("GET", f"/contacts/{i}", None, None) for i in contacts[:20]]
    for method, path, params, body in requests:
        bodies = []
        for emu in servers:
            with client(emu, version) as http:
                response = http.request(method, path, params=params, json=body)
            assert response.status_code == 200, (path, response.text)
            bodies.append(response.content.replace(emu.base_url.encode(), b"BASE"))
        assert bodies[0] == bodies[1], path


@settings(max_examples=100, deadline=None)
@given(MEMBERS, st.sampled_from(["json", "zjson"]))
def test_public_text_is_the_record_without_internal_keys(members, storage):
    record = {**dict(members), "id": "x", "updated_at": 1}
    store = Store("contacts", storage)
    for n in range(70):  # zjson deflates after its first 64 blobs
        store.put({**record, "id": str(n)})
    for record_id in ("0", "69"):
        expected = {k: v for k, v in record.items() if not k.startswith("_")} | {"id": record_id}
        assert store.get_public_text(record_id) == orjson.dumps(expected)
        assert store.get(record_id) == {**record, "id": record_id}
        assert store.get_head(record_id) == {**record, "id": record_id}
