"""The field registry must agree with the 2.16 spec's own tables of searchable fields."""

import re

import pytest

from emulator.search.fields import FIELDS, lookup_field
from emulator.specs import load_spec

SPEC_KINDS = {
    "String": {"string", "id", "words"},
    "Integer": {"integer"},
    "Boolean": {"boolean"},
    "Date": {"date"},
}


@pytest.fixture(scope="module")
def spec_tables() -> dict[str, dict[str, str]]:
    spec = load_spec("2.16")
    tables = {}
    for entity in ("contacts", "conversations", "tickets"):
        text = spec["paths"][f"/{entity}/search"]["post"]["description"]
        section = text.split("### Accepted Fields", 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\|\s*([a-z_.{}]+)\s*\|\s*([^|]+?)\s*\|", section, re.M)
        tables[entity] = {name: kind for name, kind in rows if name != "field"}
    return tables


@pytest.mark.parametrize("entity", ["contacts", "conversations", "tickets"])
def test_every_spec_field_is_searchable_with_its_type(spec_tables, entity):
    table = spec_tables[entity]
    assert len(table) > 10
    for name, spec_type in table.items():
        if "{" in name:  # custom_attributes.{attribute_name}, ticket_attribute.{id}
            dynamic = lookup_field(entity, name.split("{")[0] + "anything")
            assert dynamic is not None and dynamic.kind == "dynamic", name
            continue
        field = lookup_field(entity, name)
        assert field is not None, f"{entity}: {name} missing"
        base_type = spec_type.split("<br>")[0].split(" ")[0].strip()
        if entity == "tickets" and name in ("admin_assignee_id", "team_assignee_id"):
            base_type = "String"
        assert field.kind in SPEC_KINDS[base_type], f"{entity}: {name} {field.kind} vs {spec_type}"


@pytest.mark.parametrize("entity", ["contacts", "conversations", "tickets"])
def test_no_invented_fields(spec_tables, entity):
    # our registry may add spelling aliases, nothing else
    aliases = {"conversation_rating.admin_id", "android_sdk_version"}
    extra = set(FIELDS[entity]) - set(spec_tables[entity]) - aliases
    assert not extra, extra
