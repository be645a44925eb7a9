"""The declared column types fit what the API actually serves: every table's records, as the
emulator renders them in 2.9 and 2.16, load into DuckDB under the hints without a single
variant column (`<name>__v_<type>`, dlt's fallback when a value does not fit the declared
type) and without a hinted type being changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dlt
import pytest

from emulator.testing import RunningEmulator, running_emulator
from emulator.world import WorldConfig
from sources.intercom.client import IntercomClient
from sources.intercom.conversation_attributes import conversation_attribute_definitions
from sources.intercom.schema import custom_attribute_columns, table_columns

LOOKUPS = {  # table -> (path, items key)
    "admins": ("/admins", "admins"),
    "teams": ("/teams", "teams"),
    "tags": ("/tags", "data"),
    "segments": ("/segments", "segments"),
    "ticket_types": ("/ticket_types", "data"),
}


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with running_emulator(WorldConfig(seed=3, scale="tiny")) as emu:
        yield emu


def _items(client: IntercomClient, path: str, key: str, params: dict | None = None) -> list:
    body = client.get(path, params)
    return body.get(key) or body.get("data") or []


def _with_parts(
    client: IntercomClient, entity: str, ids: list[str], parts_key: str, parent_column: str
) -> tuple[list[dict], list[dict]]:
    roots, parts = [], []
    for _, record in client.get_many(f"/{entity}/{record_id}" for record_id in ids):
        assert record is not None
        for part in (record.pop(parts_key, None) or {}).get(parts_key, []):
            parts.append({**part, parent_column: record["id"]})
        roots.append(record)
    return roots, parts


def _served_tables(emu: RunningEmulator, client: IntercomClient) -> dict[str, list[dict]]:
    everything = {"field": "updated_at", "operator": ">", "value": 0}
    tables: dict[str, list[dict]] = {
        "contacts": [
            c
            for page in client.iter_search("/contacts/search", everything, items_key="data")
            for c in page
        ],
        "companies": [c for page in client.iter_scroll() for c in page],
        "data_attributes": [
            a
            for model in ("contact", "company")
            for a in _items(client, "/data_attributes", "data", {"model": model})
        ],
    }
    tables["conversations"], tables["conversation_parts"] = _with_parts(
        client,
        "conversations",
        list(emu.world.conversations.ids()),
        "conversation_parts",
        "conversation_id",
    )
    tables["tickets"], tables["ticket_parts"] = _with_parts(
        client, "tickets", list(emu.world.tickets.ids()), "ticket_parts", "ticket_id"
    )
    for table, (path, key) in LOOKUPS.items():
        tables[table] = _items(client, path, key)
    return tables


@pytest.mark.parametrize("version", ["2.9", "2.16"])
def test_served_records_fit_the_declared_types(
    emu: RunningEmulator, version: str, tmp_path: Path
) -> None:
    with IntercomClient(emu.token, base_url=emu.base_url, api_version=version) as client:
        tables = _served_tables(emu, client)
        conversation_definitions = conversation_attribute_definitions(client)
    definitions = tables["data_attributes"]
    custom = {
        "contacts": custom_attribute_columns(d for d in definitions if d["model"] == "contact"),
        "companies": custom_attribute_columns(d for d in definitions if d["model"] == "company"),
        # typed as the sync types them: a decimal attribute first seen as 3 is still a double
        "conversations": custom_attribute_columns(conversation_definitions),
    }
    hints = {t: {**table_columns(t, version), **custom.get(t, {})} for t in tables}
    assert all(tables.values()), {t: len(rows) for t, rows in tables.items()}

    pipeline = dlt.pipeline(
        pipeline_name="served_types",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "served.db")),
        dataset_name="served_data",
    )
    resources = [dlt.resource(rows, name=t, columns=hints[t]) for t, rows in tables.items()]
    pipeline.run(resources).raise_on_failed_jobs()

    schema = pipeline.default_schema
    for table, table_hints in hints.items():
        columns = schema.get_table_columns(table)
        assert not [c for c in columns if "__v_" in c], table
        changed = {
            name: (columns[name].get("data_type"), hint["data_type"])
            for name, hint in table_hints.items()
            if columns[name].get("data_type") != hint["data_type"]
        }
        assert not changed, (table, changed)
        # Hinted columns exist even if the data never filled them.
        assert set(table_hints) <= set(columns), table
