"""The `tickets` resource against the emulator over HTTP (same machinery as conversations):
full sync and incremental runs equal the world's truth; on 2.9, which has no ticket search,
the resource is left out of the default selection and says why when selected explicitly."""

from __future__ import annotations

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from emulator.world.activity import advance
from sources.intercom.conversations import UnsupportedApiVersionError
from sources.intercom.naming import readable_key
from sources.intercom.parts import TICKET_ATTRIBUTE_TYPES
from sources.intercom.schema import table_columns
from tests.helpers.truth import by_id, mismatches, pairs, settle, truth

RESOURCES = ["tickets"]


def assert_converged(emu, rows) -> None:
    loaded = rows("tickets")
    assert len(loaded) == len(by_id(loaded)), "one row per ticket id"
    assert mismatches(loaded, truth(emu, "tickets")) == []
    assert pairs(rows("tickets__contacts"), "ticket_id", "contact_id") == pairs(
        truth(emu, "tickets__contacts"), "ticket_id", "contact_id"
    )
    parts = rows("ticket_parts")
    assert len(parts) == len(by_id(parts)), "one row per part id"
    visible = [part for part in truth(emu, "ticket_parts") if part["visible"]]
    assert visible
    shown = {part["id"] for part in visible}
    assert mismatches([p for p in parts if p["id"] in shown], visible) == []


def test_full_then_incremental_sync_equals_truth(emulator, sync, rows, loaded, pipeline) -> None:
    emu = emulator(seed=12)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    columns = pipeline().default_schema.get_table_columns("tickets")
    for name, hint in table_columns("tickets", "2.16").items():
        assert columns[name]["data_type"] == hint["data_type"], name
    # Ticket attributes are typed from the ticket types' definitions, not from values.
    definitions = {
        attribute["name"]: attribute["data_type"]
        for ticket_type in emu.world.ticket_types.values()
        for attribute in ticket_type["ticket_type_attributes"]["data"]
        if attribute["data_type"] != "files"  # a list of files: no scalar column
    }
    assert definitions
    for name, data_type in definitions.items():
        column = f"ticket_attributes__{readable_key(name)}"  # `_default_title_`: default_title
        assert columns[column]["data_type"] == TICKET_ATTRIBUTE_TYPES[data_type], name
    # The API id is what we key on, never the inbox number `ticket_id`.
    for row in rows("tickets"):
        assert row["ticket_id"] is not None
    before = {p["id"] for p in rows("ticket_parts")}
    advance(emu.world, 12 * 3600)
    settle(emu)  # versions read during their own second are loaded again once (cursor.py)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    assert before <= {p["id"] for p in rows("ticket_parts")}
    emu.control.stats.reset()
    sync(emu, resources=RESOURCES)
    assert set(emu.control.stats.snapshot()["endpoints"]) == {"POST /tickets/search"}
    assert loaded()["tickets"] == 0
    assert loaded()["ticket_parts"] == 0


def test_tickets_on_2_9_explain_themselves(emulator, sync, rows) -> None:
    emu = emulator(seed=12, api_version="2.9")
    # Default selection: everything else loads, tickets are skipped.
    sync(emu, resources=None)
    assert rows("conversations")
    assert not rows("tickets")
    # Explicitly selected: a clear error naming the version and the fix.
    with pytest.raises(PipelineStepFailed) as failure:
        sync(emu, resources=RESOURCES, pipeline_name="explicit")
    cause = failure.value.__cause__
    while cause is not None and not isinstance(cause, UnsupportedApiVersionError):
        cause = cause.__cause__
    assert isinstance(cause, UnsupportedApiVersionError)
    assert "2.9" in str(cause) and "2.10" in str(cause)
