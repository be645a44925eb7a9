"""Custom attributes whose names share a column (`plan_tier`, `Plan Tier`) keep a value each,
end to end over HTTP: contacts and companies, whose definitions (`/data_attributes`) decide
the owner by age. (Conversations, typed from their values: test_conversations.)"""

from __future__ import annotations

from hashlib import sha256

import pytest

from emulator.world import ops
from emulator.world.activity import advance
from tests.helpers.truth import settle

# resource, the world's store, data attribute model, an existing attribute, a newer twin
CASES = [
    ("contacts", "contacts", "contact", "plan_tier", "Plan Tier"),
    ("companies", "companies", "company", "account_tier", "Account Tier"),
]


@pytest.mark.parametrize(("resource", "store", "model", "older", "newer"), CASES)
def test_custom_attributes_whose_names_share_a_column_keep_both_values(
    emulator, sync, rows, pipeline, resource, store, model, older, newer
):
    """A record setting both kept one value. The older attribute keeps the column, the newer
    gets one of its own — in a pipeline that loaded the older first, and in one that meets
    both in its first sync."""
    emu = emulator(api_version="2.16")
    sync(emu, resources=[resource])
    world = emu.world
    advance(world, 60, intensity=0.0)
    records = getattr(world, store)
    with world.lock:
        definition = (newer, "string", f"{newer} (CRM)", "A twin from the CRM", None)
        ops.add_custom_attribute(world, model, definition, world.now)
        both = {}
        for record_id in list(records.ids())[:5]:
            record = ops.editable(records, record_id)
            record["custom_attributes"][older] = "old"
            record["custom_attributes"][newer] = f"new-{record_id}"
            ops.save(records, record, world.now)
            both[record_id] = f"new-{record_id}"
    settle(emu)
    column = f"custom_attributes__{older}"
    own_column = f"{column}_{sha256(newer.encode()).hexdigest()[:8]}"
    for pipeline_name in ("t", "fresh"):  # incremental after `older`; a first sync of both
        sync(emu, resources=[resource], pipeline_name=pipeline_name)
        loaded = {row["id"]: row for row in rows(resource, pipeline_name=pipeline_name)}
        for record_id, new in both.items():
            assert loaded[record_id][column] == "old", pipeline_name
            assert loaded[record_id][own_column] == new, pipeline_name
        columns = pipeline(pipeline_name).default_schema.get_table_columns(resource)
        assert columns[own_column]["data_type"] == "text"
