"""Convergence under change: after every round of workspace changes (creations, same-second
updates, new parts, merges, deletions, changes during pagination, index lag) the next
successful sync leaves the warehouse equal to the workspace, table by table."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from tests.convergence.harness import InProcessSync
from tests.convergence.scenario import Scenario
from tests.helpers.summary import record

SEEDS = (1, 2, 3)
ROUNDS = 7  # per seed: 21 rounds in `make test`; `make soak` runs hundreds


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}-{ROUNDS}rounds" for s in SEEDS])
def test_every_round_converges(seed: int, tmp_path: Path) -> None:
    with running_emulator(WorldConfig(seed=seed, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path)
        scenario = Scenario(emu, sync, sync.read, seed)
        scenario.initial_sync()
        for _ in range(ROUNDS):
            report = scenario.run_round()
        kinds = sorted({k for h in scenario.history for k in h["changes"]})
        record(
            f"convergence seed {seed}: {scenario.rounds_done} rounds, {scenario.syncs} syncs, "
            f"{sync.requests} requests, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables; changes: {', '.join(kinds)}"
        )
        assert scenario.rounds_done == ROUNDS


@pytest.mark.parametrize("api_version", ["2.9", "2.11"])
def test_rounds_converge_on_older_api_versions(api_version: str, tmp_path: Path) -> None:
    """The same rounds on the real 2.9 and 2.10–2.15 shapes (issue 17): no deletion feed nor
    merge history there, so the comparison expects what those versions can tell
    (`compare.compare_warehouse(api_version=…)`)."""
    with running_emulator(WorldConfig(seed=4, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, api_version=api_version)
        scenario = Scenario(emu, sync, sync.read, 4, api_version=api_version)
        scenario.initial_sync()
        for _ in range(4):
            report = scenario.run_round()
        record(
            f"convergence on API {api_version}: {scenario.rounds_done} rounds, "
            f"{scenario.syncs} syncs, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables"
        )
        assert scenario.rounds_done == 4
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
        scenario.initial_sync()
        for _ in range(3):
            report = scenario.run_round()
        schema = sync.pipeline.default_schema.tables
        assert schema["contacts"]["x-merge-strategy"] == "delete-insert"
        # Seed 6's rounds tombstone (reconcile), merge contacts and delete conversations.
        kinds = {k for h in scenario.history for k in h["changes"]}
        assert any(h["plan"].reconcile for h in scenario.history)
        assert {"companies_deleted", "contact_merged", "conversation_deleted"} <= kinds
        record(
            f"convergence on SQLite (delete-insert): {scenario.rounds_done} rounds, "
            f"{scenario.syncs} syncs, compared {sum(report.compared.values())} rows in "
            f"{len(report.compared)} tables"
        )
        assert scenario.rounds_done == 3


def test_rounds_converge_with_hard_deletes(tmp_path: Path) -> None:
    """`deletes="hard"`: every deleted or merged-away record leaves the root tables with its
    links and parts (no flagged row anywhere), and the live rows still equal the truth."""
    with running_emulator(WorldConfig(seed=6, scale="tiny")) as emu:
        sync = InProcessSync(emu, tmp_path, deletes="hard")
        scenario = Scenario(emu, sync, sync.read, 6, deletes="hard")
        scenario.initial_sync()
        for _ in range(3):
            report = scenario.run_round()
        kinds = {k for h in scenario.history for k in h["changes"]}
        assert {"companies_deleted", "contact_merged", "conversation_deleted"} <= kinds
        record(
            f"convergence with hard deletes: {scenario.rounds_done} rounds, {scenario.syncs} "
            f"syncs, compared {sum(report.compared.values())} rows in {len(report.compared)} tables"
        )
