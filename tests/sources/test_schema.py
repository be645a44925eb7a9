"""Column hints (contract 5): generated from the vendored specs, typed per API version, and
honoured by dlt when loading into DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dlt
import pytest
import yaml

from sources.intercom import gen_schema
from sources.intercom.attribute_keys import AttributeKeys
from sources.intercom.schema import (
    DATA_FILE,
    custom_attribute_column_name,
    custom_attribute_columns,
    spec_version_for,
    table_columns,
    tables,
)
from sources.intercom.settings import (
    AUDIT_RESOURCES,
    CONTENT_RESOURCES,
    OPTIONAL_RESOURCES,
    PARENT_TABLES,
)

CONTRACT_TABLES = {
    "contacts",
    "companies",
    "conversations",
    "conversation_parts",
    "tickets",
    "ticket_parts",
    "admins",
    "teams",
    "tags",
    "segments",
    "data_attributes",
    "ticket_types",
    # content and settings lists (issue 21): the newest spec's types on versions before their
    # endpoint's (schema_data.json leaves them out of the 2.9 spec, which lacks their models)
    *CONTENT_RESOURCES,
    *OPTIONAL_RESOURCES,  # the opt-in conversation reads (2.16's types on every version)
    *PARENT_TABLES,  # contact_notes, company_notes
    *AUDIT_RESOURCES,
}
# a list of names: one column
ONE_COLUMN = {"activity_log_event_types"}
# keyed by another column than `id`
KEYS = {"call_transcripts": "call_id"}
VERSIONS = ("2.9", "2.16")


def _type(table: str, column: str, version: str) -> str | None:
    hint = table_columns(table, version).get(column)
    return hint["data_type"] if hint else None


def test_generated_file_is_up_to_date() -> None:
    assert DATA_FILE.read_text(encoding="utf-8") == gen_schema.render(
        gen_schema.generate()
    ), "run: python -m sources.intercom.gen_schema"


def test_every_contract_table_is_declared_for_both_versions() -> None:
    assert set(tables()) == CONTRACT_TABLES
    for version in VERSIONS:
        for table in CONTRACT_TABLES:
            columns = table_columns(table, version)
            key = "event_type" if table in ONE_COLUMN else KEYS.get(table, "id")
            assert key in columns, (table, version)
            assert all(c["nullable"] for c in columns.values())


@pytest.mark.parametrize("version", VERSIONS)
def test_content_tables_are_typed_from_the_spec(version: str) -> None:
    assert _type("macros", "updated_at", version) == "timestamp"  # ISO strings in the API
    # from the 2.16 search's inline item (the call and its transcript status), on every version
    assert _type("call_transcripts", "transcript_status", version) == "text"
    assert set(table_columns("call_transcripts", version)) == {
        "call_id",
        "conversation_id",
        "transcript_status",
    }
    assert _type("internal_articles", "owner_id", version) == "text"  # an integer in the spec
    assert _type("office_hours_schedules", "twenty_four_seven", version) == "bool"
    assert _type("subscription_types", "default_translation__name", version) == "text"


@pytest.mark.parametrize("version", VERSIONS)
def test_key_columns_are_typed_as_intended(version: str) -> None:
    # Durations are integers even next to timestamps in `statistics`.
    for duration in ("time_to_admin_reply", "time_to_assignment", "median_time_to_reply"):
        assert _type("conversations", f"statistics__{duration}", version) == "bigint"
    for ts in ("statistics__first_contact_reply_at", "waiting_since", "snoozed_until"):
        assert _type("conversations", ts, version) == "timestamp"
    assert table_columns("contacts", version)["updated_at"] == {
        "data_type": "timestamp",
        "nullable": True,
        "timezone": True,
    }
    assert _type("conversation_parts", "notified_at", version) == "timestamp"
    # Named *_at without format: date-time in the spec.
    assert _type("segments", "created_at", version) == "timestamp"
    assert _type("companies", "last_request_at", version) == "timestamp"
    assert _type("companies", "monthly_spend", version) == "double"  # spec says integer
    assert _type("conversations", "source__author__id", version) == "text"
    assert _type("conversations", "open", version) == "bool"
    assert _type("conversation_parts", "conversation_id", version) == "text"
    assert _type("ticket_parts", "ticket_id", version) == "text"


def test_version_differences_follow_the_specs() -> None:
    # ids are text whatever a spec says (2.9: owner_id integer; 2.16: admin_assignee_id)
    assert _type("contacts", "owner_id", "2.9") == "text"
    assert _type("contacts", "owner_id", "2.16") == "text"
    assert _type("tickets", "admin_assignee_id", "2.9") == "text"
    assert _type("tickets", "admin_assignee_id", "2.16") == "text"
    assert _type("tickets", "ticket_state", "2.9") == "text"
    assert _type("tickets", "ticket_state__category", "2.16") == "text"
    assert _type("tickets", "ticket_state__category", "2.9") is None
    assert _type("admins", "role__name", "2.9") is None
    assert _type("admins", "role__name", "2.16") == "text"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_id_column_is_text(version: str) -> None:
    """Any id joins any id without a cast (issue 19 item 17): `id`, `*_id`, `*__id`."""
    not_text = [
        (table, column, column_schema["data_type"])
        for table in CONTRACT_TABLES
        for column, column_schema in table_columns(table, version).items()
        if (column == "id" or column.endswith("_id")) and column_schema["data_type"] != "text"
    ]
    assert not_text == []


@pytest.mark.parametrize("version", VERSIONS)
def test_arrays_free_form_objects_and_relationship_wrappers_are_not_listed(version: str) -> None:
    for table in CONTRACT_TABLES:
        free_form = ("custom_attributes", "metadata")
        if table == "admin_activity_logs":  # its spec types `metadata` property by property
            free_form = ("custom_attributes",)
        for column in table_columns(table, version):
            assert not column.startswith(free_form), (table, column)
    activity_logs = table_columns("admin_activity_logs", version)
    assert activity_logs["metadata__away_mode"]["data_type"] == "bool"
    assert not [c for c in activity_logs if c.startswith("metadata__changes")]
    contacts = table_columns("contacts", version)
    assert not [c for c in contacts if c.startswith(("tags", "notes", "companies"))]
    conversations = table_columns("conversations", version)
    for wrapper in ("tags__", "contacts__", "teammates__", "conversation_parts__"):
        assert not [c for c in conversations if c.startswith(wrapper)], wrapper
    assert "team_ids" not in table_columns("admins", version)
    assert "admin_ids" not in table_columns("teams", version)
    assert not [c for c in table_columns("tickets", version) if c.startswith("ticket_attributes")]


def test_column_counts_are_sane() -> None:
    for version in VERSIONS:
        counts = {t: len(table_columns(t, version)) for t in CONTRACT_TABLES}
        assert 30 <= counts["contacts"] <= 80, counts
        assert 40 <= counts["conversations"] <= 150, counts
        assert all(n >= 3 for t, n in counts.items() if t not in ONE_COLUMN), counts
    assert len(table_columns("conversations", "2.16")) > len(table_columns("conversations", "2.9"))


def test_spec_version_mapping() -> None:
    assert spec_version_for("2.9") == "2.9"
    assert spec_version_for("2.12") == "2.9"
    assert spec_version_for("2.16") == "2.16"
    assert spec_version_for("2.17") == "2.16"
    assert spec_version_for("Preview") == "2.16"
    assert spec_version_for("2.1") == "2.9"


def test_walker_resolves_refs_allof_and_conflicting_variants() -> None:
    spec = yaml.safe_load(
        """
components:
  schemas:
    thing:
      type: object
      properties:
        id: {type: string}
        when: {type: integer, format: date-time}
        base: {$ref: '#/components/schemas/base'}
        mixed_scalar: {oneOf: [{type: string}, {type: integer}]}
        mixed_kind: {anyOf: [{type: string}, {type: array, items: {type: string}}]}
        object_or_array:
          oneOf: [{type: object, properties: {x: {type: string}}}, {type: array}]
        variants:
          anyOf:
          - {type: object, properties: {a: {type: integer}}}
          - {type: object, properties: {b: {type: boolean}}}
        extended:
          allOf:
          - $ref: '#/components/schemas/base'
          - {type: object, properties: {extra: {type: number}}}
        free: {type: object, additionalProperties: true}
        list: {type: array, items: {type: string}}
        Weird Name: {type: string}
    base:
      type: object
      properties:
        nested_at: {type: integer}
        """
    )
    assert gen_schema.SpecWalker(spec).columns("thing") == {
        "id": "text",
        "when": "timestamp",
        "base__nested_at": "timestamp",
        "mixed_scalar": "text",
        "mixed_kind": "text",
        "object_or_array__x": "text",
        "variants__a": "bigint",
        "variants__b": "bool",
        "extended__nested_at": "timestamp",
        "extended__extra": "double",
        "weird_name": "text",
    }


def test_custom_attribute_columns_map_data_attribute_types() -> None:
    definitions = [
        {"name": "plan_tier", "data_type": "string", "custom": True},
        {"name": "seats", "data_type": "integer", "custom": True},
        {"name": "lifetime_value", "data_type": "float", "custom": True},
        {"name": "is_vip", "data_type": "boolean", "custom": True},
        {"name": "trial_ends_at", "data_type": "date", "custom": True, "archived": True},
        {"name": "favourite emoji 🎈", "data_type": "string", "custom": True},
        {"name": "email", "data_type": "string", "custom": False},
        {"name": "mystery", "data_type": "relationship", "custom": True},
    ]
    columns = custom_attribute_columns(definitions)
    assert {name: c["data_type"] for name, c in columns.items()} == {
        "custom_attributes__plan_tier": "text",
        "custom_attributes__seats": "bigint",
        "custom_attributes__lifetime_value": "double",
        "custom_attributes__is_vip": "bool",
        "custom_attributes__trial_ends_at": "timestamp",
        custom_attribute_column_name("favourite emoji 🎈"): "text",
    }


def test_dlt_honours_the_hints_in_duckdb(tmp_path: Path) -> None:
    """Unix-second ints land as UTC timestamps, all-null hinted columns exist with their
    type, and custom attribute names, keyed as the resources key them, map to the hinted
    columns."""
    definitions = [
        {"name": "trial_ends_at", "data_type": "date", "custom": True},
        {"name": "favourite emoji 🎈", "data_type": "string", "custom": True},
    ]
    hints = {**table_columns("contacts", "2.16"), **custom_attribute_columns(definitions)}
    updated_at = 1767225600
    records = [
        {
            "id": "a",
            "updated_at": updated_at,
            "owner_id": "7",
            "location": {"city": "Paris"},
            "custom_attributes": {"trial_ends_at": updated_at + 1, "favourite emoji 🎈": "🎈"},
        },
        {"id": "b", "updated_at": updated_at + 60, "custom_attributes": {}},
    ]

    @dlt.resource(name="contacts", primary_key="id", write_disposition="merge", columns=hints)
    def contacts():
        # the resources hand dlt each name under its readable column key (attribute_keys.py)
        AttributeKeys("custom_attributes", {}).apply(records)
        yield records

    pipeline = dlt.pipeline(
        pipeline_name="schema_hints",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "hints.db")),
        dataset_name="hints_data",
    )
    pipeline.run(contacts()).raise_on_failed_jobs()
    with pipeline.sql_client() as client:
        types = dict(
            client.execute_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'hints_data' AND table_name = 'contacts'"
            )
        )
        emoji_column = custom_attribute_column_name("favourite emoji 🎈")
        loaded = client.execute_sql(
            f"SELECT updated_at, custom_attributes__trial_ends_at, {emoji_column}, "
            "signed_up_at, location__city FROM contacts WHERE id = 'a'"
        )[0]
    duck_types = {"timestamp": "TIMESTAMP WITH TIME ZONE", "text": "VARCHAR", "bigint": "BIGINT"}
    duck_types |= {"bool": "BOOLEAN", "double": "DOUBLE"}
    for name, hint in hints.items():
        assert types.get(name) == duck_types[hint["data_type"]], name
    utc = dt.timezone.utc
    assert loaded[0] == dt.datetime.fromtimestamp(updated_at, utc)
    assert loaded[1] == dt.datetime.fromtimestamp(updated_at + 1, utc)
    assert loaded[2:] == ("🎈", None, "Paris")
