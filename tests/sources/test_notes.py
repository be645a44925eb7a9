"""contact_notes and company_notes: read for the parents a run loads, converging to the truth."""

from __future__ import annotations

import pytest

from bench.minimum import _world_counts
from emulator.world.activity import advance
from tests.convergence.workspace import delete_company
from tests.helpers.truth import settle, truth, unix

NOTES = {"contact_notes": "contact_id", "company_notes": "company_id"}
PATHS = {"contact_notes": "GET /contacts/{id}/notes", "company_notes": "GET /companies/{id}/notes"}
PARENTS = ["contacts", "companies"]


def notes_of(rows: list[dict], parent_key: str) -> dict[str, tuple]:
    """Live notes: id -> (parent id, created_at, author id)."""
    return {
        str(r["id"]): (str(r[parent_key]), unix(r["created_at"]), str(r["author__id"]))
        for r in rows
        if r.get("_deleted_at") is None
    }


def truth_notes(emu, table: str) -> dict[str, tuple]:
    key = NOTES[table]
    return {r["id"]: (r[key], r["created_at"], str(r["author_id"])) for r in truth(emu, table)}


def requests(emu, table: str) -> int:
    return sum(emu.control.stats.snapshot()["endpoints"].get(PATHS[table], {}).values())


def parents_with_notes(emu, table: str) -> int:
    return len({r[NOTES[table]] for r in truth(emu, table)})


@pytest.mark.parametrize("api_version", ["2.9", "2.16"])
def test_notes_of_changed_parents_converge_and_cost_nothing_idle(emulator, sync, rows, api_version):
    emu = emulator(api_version=api_version)
    tables = ["contact_notes"] + (["company_notes"] if api_version == "2.16" else [])
    sync(emu, resources=PARENTS)
    for table in tables:
        assert truth_notes(emu, table), f"the world should have {table}"
        assert notes_of(rows(table), NOTES[table]) == truth_notes(emu, table), table
    if api_version == "2.9":  # no /companies/{id}/notes before 2.10
        assert rows("company_notes") == []
    advance(emu.world, 3 * 24 * 3600)  # adds notes (and moves their parents' updated_at)
    sync(emu, resources=PARENTS)
    for table in tables:
        assert notes_of(rows(table), NOTES[table]) == truth_notes(emu, table), table
    settle(emu)
    sync(emu, resources=PARENTS)  # the versions read within their own second, once more
    emu.control.stats.reset()
    sync(emu, resources=PARENTS)
    assert [requests(emu, t) for t in tables] == [0] * len(tables)


def test_a_parent_without_notes_costs_no_request(emulator, sync, rows):
    """The embedded list says when there is nothing to read: one request per parent that
    has notes, however many of them (a heavy contact has more than the 10 embedded) — what
    `make bench`'s minimum counts (bench.minimum)."""
    emu = emulator()
    heavy = [c for c in emu.world.contacts.ids() if len(emu.world.contact_notes(c)) > 10]
    assert heavy, "the world should have a contact with more than 10 notes"
    counts = _world_counts(emu.base_url)
    sync(emu, resources=PARENTS)
    for table in NOTES:
        assert 0 < requests(emu, table) == parents_with_notes(emu, table), table
        assert requests(emu, table) == counts[f"{table}_pages"], table


def test_notes_of_a_deleted_company_follow_it(emulator, sync, rows):
    """Flagged with their company by `--reconcile` (soft), removed with it (hard)."""
    for deletes in ("soft", "hard"):
        emu = emulator()
        name = f"p_{deletes}"
        sync(emu, resources=["companies"], pipeline_name=name, deletes=deletes)
        company_id = next(c for c in emu.world.companies.ids() if emu.world._company_notes.get(c))
        note_ids = set(emu.world._company_notes[company_id])
        with emu.control.lock:
            delete_company(emu.world, company_id)
        sync(
            emu,
            resources=["companies", "companies_deleted"],
            pipeline_name=name,
            deletes=deletes,
            reconcile=True,
        )
        loaded = [r for r in rows("company_notes", name) if str(r["id"]) in note_ids]
        if deletes == "soft":
            assert {str(r["id"]) for r in loaded} == note_ids
            assert all(r["_deleted_at"] is not None for r in loaded)
        else:
            assert loaded == []
        assert notes_of(rows("company_notes", name), "company_id") == truth_notes(
            emu, "company_notes"
        )
