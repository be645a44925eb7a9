"""The `tickets` resource against the emulator over HTTP (same machinery as conversations):
full sync and incremental runs equal the world's truth; on 2.9, which has no ticket search,
the resource is left out of the default selection and says why when selected explicitly."""

from __future__ import annotations

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.intercom.conversations import UnsupportedApiVersionError
from sources.intercom.schema import table_columns
from tests.sources.conftest import by_id, pairs, truth, unix

RESOURCES = ["tickets"]


def assert_converged(emu, rows) -> None:
    loaded = by_id(rows("tickets"))
    expected = by_id(truth(emu, "tickets"))
    assert set(loaded) == set(expected)
    for ticket_id, want in expected.items():
        assert unix(loaded[ticket_id]["updated_at"]) == want["updated_at"], ticket_id
    assert pairs(rows("tickets__contacts"), "ticket_id", "contact_id") == pairs(
        truth(emu, "tickets__contacts"), "ticket_id", "contact_id"
    )
    parts = by_id(rows("ticket_parts"))
    visible = [part for part in truth(emu, "ticket_parts") if part["visible"]]
    assert visible
    for part in visible:
        assert part["id"] in parts, part
        assert parts[part["id"]]["ticket_id"] == part["ticket_id"]
        assert parts[part["id"]]["part_type"] == part["part_type"]


def test_full_then_incremental_sync_equals_truth(emulator, sync, rows, loaded, pipeline) -> None:
    emu = emulator(seed=12)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    columns = pipeline().default_schema.get_table_columns("tickets")
    for name, hint in table_columns("tickets", "2.16").items():
        assert columns[name]["data_type"] == hint["data_type"], name
    # The API id is what we key on, never the inbox number `ticket_id`.
    for row in rows("tickets"):
        assert row["ticket_id"] is not None
    before = {p["id"] for p in rows("ticket_parts")}
    emu.world.advance(12 * 3600)
    sync(emu, resources=RESOURCES)
    assert_converged(emu, rows)
    assert before <= {p["id"] for p in rows("ticket_parts")}
    sync(emu, resources=RESOURCES)
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
