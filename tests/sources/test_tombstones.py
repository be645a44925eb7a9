"""Deleted and merged-away records in the root tables (`tombstones.py`): with
`deletes="soft"` the row stays with `_deleted_at` (and `_merged_into_id`) set, its parts are
flagged too and its link rows removed; with `deletes="hard"` the row and its parts go too. Against the emulator over HTTP
into DuckDB (the destination suites repeat it on PostgreSQL, filesystem+delta and SQLite)."""

from __future__ import annotations

import random

import pytest

from emulator.world import ops
from sources.intercom.client import IntercomClient
from tests.convergence.workspace import delete_ticket
from tests.helpers.truth import by_id, unix

MODES = ["soft", "hard"]


def _with(rows, key: str, value: str) -> list[dict]:
    return [row for row in rows if str(row[key]) == value]


def _busy_conversation(rows) -> str:
    """A loaded conversation with parts and contact links."""
    linked = {str(r["conversation_id"]) for r in rows("conversations__contacts")}
    with_parts = {str(r["conversation_id"]) for r in rows("conversation_parts")}
    return sorted(linked & with_parts)[0]


@pytest.mark.parametrize("deletes", MODES)
def test_a_deleted_conversation_is_flagged_or_removed_with_links_and_parts(
    emulator, sync, rows, deletes
) -> None:
    emu = emulator(seed=13)
    sync(emu, resources=["conversations"], deletes=deletes)
    conversation_id = _busy_conversation(rows)
    before = by_id(rows("conversations"))[conversation_id]
    assert before["_deleted_at"] is None
    with emu.control.lock:
        ops.delete_conversation(emu.world, conversation_id, emu.world.now, False)
    sync(emu, resources=["conversations"], deletes=deletes)
    loaded = by_id(rows("conversations"))
    if deletes == "soft":
        row = loaded[conversation_id]
        assert unix(row["_deleted_at"]) == emu.world.now
        assert row["state"] == before["state"]  # its last loaded values stay
        assert row["updated_at"] == before["updated_at"]
    else:
        assert conversation_id not in loaded
    for table in ("conversations__contacts", "conversations__tags"):
        assert _with(rows(table), "conversation_id", conversation_id) == [], table
    parts = _with(rows("conversation_parts"), "conversation_id", conversation_id)
    if deletes == "soft":  # flagged like their conversation
        assert parts and {unix(p["_deleted_at"]) for p in parts} == {emu.world.now}
    else:
        assert parts == []
    # Every other row is still live; the change log has the deletion too.
    assert sum(row["_deleted_at"] is not None for row in loaded.values()) == (
        1 if deletes == "soft" else 0
    )
    assert conversation_id in by_id(rows("conversations_deleted"))
    # A later run changes nothing about it.
    sync(emu, resources=["conversations"], deletes=deletes)
    assert (conversation_id in by_id(rows("conversations"))) is (deletes == "soft")


@pytest.mark.parametrize("deletes", MODES)
def test_a_merged_away_contact_is_flagged_with_its_survivor_or_removed(
    emulator, sync, rows, deletes
) -> None:
    emu = emulator(seed=14)
    sync(emu, resources=["contacts"], deletes=deletes)
    tagged = {str(r["contact_id"]) for r in rows("contacts__tags")}
    with emu.control.lock:
        world = emu.world
        leads = [c["id"] for c in world.contacts.values() if c["role"] == "lead"]
        users = [c["id"] for c in world.contacts.values() if c["role"] == "user"]
        lead = next((c for c in leads if c in tagged), leads[0])
        ops.merge_contacts(world, lead, users[0], world.now)
    sync(emu, resources=["contacts"], deletes=deletes)
    loaded = by_id(rows("contacts"))
    if deletes == "soft":
        assert loaded[lead]["_merged_into_id"] == users[0]
        assert unix(loaded[lead]["_deleted_at"]) == emu.world.now
        assert loaded[users[0]]["_deleted_at"] is None
    else:
        assert lead not in loaded
    for table in ("contacts__tags", "contacts__companies"):
        assert _with(rows(table), "contact_id", lead) == [], table
    assert by_id(rows("contacts_merged"))[lead]["merged_into_id"] == users[0]


@pytest.mark.parametrize("deletes", MODES)
def test_reconcile_flags_or_removes_a_deleted_ticket_with_its_parts(
    emulator, sync, rows, deletes
) -> None:
    emu = emulator(seed=31)
    client = IntercomClient(emu.token, base_url=emu.base_url, scroll_wait_s=0.2)
    sync(emu, client=client, deletes=deletes)
    with_parts = {str(r["ticket_id"]) for r in rows("ticket_parts")}
    with emu.control.lock:
        ticket_id = sorted(t for t in emu.world.tickets.ids() if t in with_parts)[0]
        delete_ticket(emu.world, ticket_id)
    client = IntercomClient(emu.token, base_url=emu.base_url, scroll_wait_s=0.2)
    sync(emu, client=client, deletes=deletes, reconcile=True)
    loaded = by_id(rows("tickets"))
    if deletes == "soft":
        assert loaded[ticket_id]["_deleted_at"] is not None
    else:
        assert ticket_id not in loaded
    assert _with(rows("tickets__contacts"), "ticket_id", ticket_id) == []
    parts = _with(rows("ticket_parts"), "ticket_id", ticket_id)
    assert all(p["_deleted_at"] is not None for p in parts) if deletes == "soft" else not parts
    assert ticket_id in by_id(rows("tickets_deleted"))


def test_deletes_must_be_soft_or_hard(emulator, sync) -> None:
    emu = emulator(seed=13)
    with pytest.raises(Exception, match="deletes"):
        sync(emu, resources=["conversations"], deletes="archive")


def test_a_warehouse_from_before_the_flags_gets_them_from_the_side_tables(
    emulator, sync, rows, pipeline
) -> None:
    """Upgrading: rows tombstoned only in `conversations_deleted` (as an older version left
    them) are flagged by the first run of this version, once."""
    emu = emulator(seed=13)
    sync(emu, resources=["conversations"])
    conversation_id = _busy_conversation(rows)
    with emu.control.lock:
        ops.delete_conversation(emu.world, conversation_id, emu.world.now, False)
    sync(emu, resources=["conversations"])
    # As an older version left it: the row live-looking, its parts still there, no marker.
    old = pipeline()
    with old.sql_client() as client:
        table = client.make_qualified_table_name("conversations")
        client.execute_sql(f"UPDATE {table} SET _deleted_at = NULL")
    with old.managed_state(extract_state=True) as state:
        del state["sources"]["intercom"]["resources"]["conversations"]["tombstones_in_root"]
    old.run()  # commits that state (a package of its own)
    assert by_id(rows("conversations"))[conversation_id]["_deleted_at"] is None
    sync(emu, resources=["conversations"])
    assert unix(by_id(rows("conversations"))[conversation_id]["_deleted_at"]) == emu.world.now


def test_cli_deletes_hard_removes_a_deleted_contact(emulator, tmp_path, monkeypatch) -> None:
    """`intercom-sync run --reconcile --deletes hard`: the flag picks the mode for that run."""
    import duckdb

    from pipelines.cli import main as cli_main
    from tests.convergence.workspace import delete_random

    emu = emulator(seed=35)
    monkeypatch.setenv("SOURCES__INTERCOM__ACCESS_TOKEN", emu.token)
    args = [
        "run",
        "--base-url",
        emu.base_url,
        "--pipelines-dir",
        str(tmp_path / "p"),
        "--duckdb-file",
        str(tmp_path / "w.duckdb"),
        "--no-progress",
        "--resources",
        "contacts",
        "--deletes",
        "hard",
    ]
    assert cli_main(args) == 0
    with emu.control.lock:
        (gone,) = delete_random(emu.world, random.Random(35), "contacts", 1)
    assert cli_main([*args, "--reconcile"]) == 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        ids = {row[0] for row in con.sql("SELECT id FROM intercom_raw.contacts").fetchall()}
        logged = con.sql("SELECT id FROM intercom_raw.contacts_deleted").fetchall()
    assert gone not in ids
    assert logged == [(gone,)]
