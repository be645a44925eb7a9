"""Convergence under change: after every round of workspace changes (creations, same-second
updates, new parts, merges, deletions, changes during pagination, index lag) the next
successful sync leaves the warehouse equal to the workspace, table by table.

`make test` runs the chosen rounds of `scenario.COVERING_PLANS`, which meet every kind of
change; `make soak` runs hundreds of random rounds over many seeds."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from tests.convergence.harness import InProcessSync
from tests.convergence.scenario import COVERING_PLANS, Scenario
from tests.helpers.summary import record

# What the covering rounds must have done (asserted, so that a change in the emulator's
# activity that drops one of them fails here rather than silently testing less).
EVERY_KIND = {
    "contact_created",
    "contact_updated_twice",
    "contact_bulk_update",
    "contact_converted",
    "contact_merged",
    "contact_company_changed",
    "contact_tag_changed",
    "contact_note_added",
    "contact_consent_changed",
    "company_note_added",
    "contacts_deleted",
    "companies_deleted",
    "company_tag_changed",
    "conversation_created",
    "conversation_part_added",
    "conversation_part_redacted",
    "conversation_deleted",
    "conversation_bulk_close",
    "ticket_created",
    "ticket_part_added",
    "ticket_state_changed",
    "tickets_deleted",
    "touched",
}


def _kinds(scenario: Scenario) -> set[str]:
    return {k for h in scenario.history for k in h["changes"]}


def _run(scenario: Scenario, plans: Iterable = COVERING_PLANS):
    scenario.initial_sync()
    report = None
    for plan in plans:
        report = scenario.run_round(plan)
    return report


def test_every_kind_of_change_converges(tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=1, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path)
        scenario = Scenario(emu, sync, sync.read, 1)
        report = _run(scenario)
        record(
            f"convergence: {scenario.rounds_done} rounds, {scenario.syncs} syncs, "
            f"{sync.requests} requests, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables; changes: {', '.join(sorted(_kinds(scenario)))}"
        )
        assert _kinds(scenario) >= EVERY_KIND, EVERY_KIND - _kinds(scenario)
        plans = [h["plan"] for h in scenario.history]
        assert any(p.mutate_during_pagination for p in plans) and any(p.index_lag for p in plans)
        assert any(p.advance_seconds == 0 for p in plans)


@pytest.mark.parametrize("api_version", ["2.9", "2.11"])
def test_rounds_converge_on_older_api_versions(api_version: str, tmp_path: Path) -> None:
    """The same rounds on the real 2.9 and 2.10–2.15 shapes (issue 17): no deletion feed nor
    merge history there, so the comparison expects what those versions can tell
    (`compare.compare_warehouse(api_version=…)`)."""
    with running_emulator(WorldConfig(seed=4, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, api_version=api_version)
        scenario = Scenario(emu, sync, sync.read, 4, api_version=api_version)
        report = _run(scenario, COVERING_PLANS[:2])
        record(
            f"convergence on API {api_version}: {scenario.rounds_done} rounds, "
            f"{scenario.syncs} syncs, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables"
        )
        assert {"contact_merged", "conversation_deleted", "contacts_deleted"} <= _kinds(scenario)
        assert "conversations__teammates" in report.compared
        assert ("conversations__topics" in report.compared) == (api_version != "2.9")


def test_rounds_converge_on_a_destination_that_merges_by_delete_insert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite (dlt's SQLAlchemy destination) cannot upsert: the same rounds, with tombstones
    (`--reconcile`) and nested rows replaced by delete-insert, converge just the same."""
    monkeypatch.setenv("LOAD__WORKERS", "1")  # SQLite takes one writer at a time
    with running_emulator(WorldConfig(seed=6, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, destination="sqlite")
        scenario = Scenario(emu, sync, sync.read, 6)
        report = _run(scenario, COVERING_PLANS[:2])
        schema = sync.pipeline.default_schema.tables
        assert schema["contacts"]["x-merge-strategy"] == "delete-insert"
        assert any(h["plan"].reconcile for h in scenario.history)
        assert {"companies_deleted", "contact_merged", "conversation_deleted"} <= _kinds(scenario)
        record(
            f"convergence on SQLite (delete-insert): {scenario.rounds_done} rounds, "
            f"{scenario.syncs} syncs, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables"
        )


def test_rounds_converge_with_hard_deletes(tmp_path: Path) -> None:
    """`deletes="hard"`: every deleted or merged-away record leaves the root tables with its
    links and parts (no flagged row anywhere), and the live rows still equal the truth."""
    with running_emulator(WorldConfig(seed=6, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, deletes="hard")
        scenario = Scenario(emu, sync, sync.read, 6, deletes="hard")
        report = _run(scenario, COVERING_PLANS[:2])
        assert {"companies_deleted", "contact_merged", "conversation_deleted"} <= _kinds(scenario)
        record(
            f"convergence with hard deletes: {scenario.rounds_done} rounds, {scenario.syncs} "
            f"syncs, compared {sum(report.compared.values())} rows in {len(report.compared)} tables"
        )
