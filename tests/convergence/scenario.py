"""The seeded, randomized multi-round convergence scenario (shared by tests and the soak).

Each round (all choices from `random.Random(seed)`):
1. change the workspace: advance the data clock (creations, updates, new parts, merges,
   conversation deletions, redactions …) and/or change records in the *same second* the
   previous sync ended on; optionally delete contacts/companies/tickets (then the sync runs
   with `reconcile=True`, the only way to learn of those deletions);
2. optionally make the emulator change records *while the sync pages* and/or hide new records
   from search (index lag);
3. sync; when step 2 made the API lie during the run, let the data clock pass the lag and
   sync once more with pagination quiet (changes made during a run are promised to the next
   successful run, not to that one);
4. compare every table with the world's truth (`compare.compare_warehouse`), holding the
   world still; parts loaded in earlier rounds must still be there.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.world.activity import touch
from sources.intercom.settings import OPTIONAL_RESOURCES
from tests.convergence.compare import Reader, Report, compare_warehouse
from tests.convergence.workspace import DELETABLE, delete_random

INDEX_LAG_SECONDS = 600


@dataclass(frozen=True)
class RoundPlan:
    advance_seconds: int  # 0: same-second changes only
    intensity: float
    same_second_touches: int  # records changed at `now` after the advance
    mutate_during_pagination: int  # records the server changes after each page it serves
    index_lag: bool
    deletions: dict[str, int]  # entity -> how many to delete (reconcile run)

    @property
    def reconcile(self) -> bool:
        return bool(self.deletions)

    @property
    def api_misleads(self) -> bool:
        return bool(self.mutate_during_pagination or self.index_lag)


def plan_round(rng: random.Random, *, deletions: bool) -> RoundPlan:
    same_second_only = rng.random() < 0.2
    return RoundPlan(
        advance_seconds=0 if same_second_only else rng.choice([60, 900, 3600, 6 * 3600, 86400]),
        intensity=rng.choice([0.5, 1.0, 3.0]),
        same_second_touches=rng.choice([0, 0, 1, 3]) or (3 if same_second_only else 0),
        mutate_during_pagination=rng.choice([0, 0, 0, 1, 2]),
        index_lag=rng.random() < 0.25,
        deletions=(
            {entity: rng.randint(1, 2) for entity in DELETABLE if rng.random() < 0.5}
            if deletions and rng.random() < 0.35
            else {}
        ),
    )


# `make test`'s rounds: chosen, not drawn, so that four rounds meet every kind of change the
# random rounds of `make soak` meet in hundreds (the tests assert which kinds happened).
COVERING_PLANS = (
    # a busy day, records changing while the sync pages, same-second touches after it
    RoundPlan(86400, 3.0, 3, 2, index_lag=False, deletions={}),
    # deletions the API never reports (reconcile) while search lags behind new records
    RoundPlan(6 * 3600, 1.0, 0, 0, index_lag=True, deletions=dict.fromkeys(DELETABLE, 1)),
    # nothing but changes within the second the previous sync ended on
    RoundPlan(0, 1.0, 3, 1, index_lag=False, deletions={}),
    # another busy day (merges, deletions, redactions), a deletion of each kind again
    RoundPlan(86400, 3.0, 1, 0, index_lag=False, deletions={"contacts": 2, "companies": 1}),
)


SyncFn = Callable[[bool], Any]  # sync(reconcile) -> anything; raises when the run fails


@dataclass
class Scenario:
    emu: Any  # emulator.testing.RunningEmulator
    sync: SyncFn
    read: Reader
    seed: int
    deletions: bool = True
    api_version: str = "2.16"  # what the comparison expects the API to have said
    deletes: str = "soft"  # the sync's mode: flagged rows are a problem with "hard"
    rng: random.Random = field(init=False)
    kept_parts: dict[str, set[str]] = field(default_factory=dict)
    rounds_done: int = 0
    syncs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"convergence:{self.seed}")

    def initial_sync(self) -> Report:
        self.syncs += 1
        self.sync(False)
        return self.check("initial")

    def run_round(self, plan: RoundPlan | None = None) -> Report:
        """One round: `plan` (e.g. one of `COVERING_PLANS`), or one drawn from the seed."""
        plan = plan or plan_round(self.rng, deletions=self.deletions)
        summary = self.change_workspace(plan)
        self.emu.control.update(
            {
                "mutate_during_pagination": plan.mutate_during_pagination,
                "index_lag_seconds": INDEX_LAG_SECONDS if plan.index_lag else 0,
            }
        )
        try:
            self.syncs += 1
            self.sync(plan.reconcile)
        finally:
            self.emu.control.update({"mutate_during_pagination": 0})
        if plan.api_misleads:
            if plan.index_lag:  # records created just now reach the index after the lag
                self.emu.advance(INDEX_LAG_SECONDS + 1, intensity=0)
            self.emu.control.update({"index_lag_seconds": 0})
            self.syncs += 1
            self.sync(plan.reconcile)
        self.rounds_done += 1
        self.history.append({"round": self.rounds_done, "plan": plan, "changes": summary})
        return self.check(f"round {self.rounds_done} {plan}")

    def change_workspace(self, plan: RoundPlan) -> dict[str, int]:
        summary: dict[str, int] = {}
        if plan.advance_seconds:
            summary = self.emu.advance(plan.advance_seconds, plan.intensity)
        with self.emu.control.lock:
            if plan.same_second_touches:
                touch(self.emu.world, plan.same_second_touches)
                summary["touched"] = plan.same_second_touches
            for entity, k in plan.deletions.items():
                summary[f"{entity}_deleted"] = len(
                    delete_random(self.emu.world, self.rng, entity, k)
                )
        return summary

    def check(self, label: str) -> Report:
        with self.emu.control.lock:
            report = compare_warehouse(
                self.read,
                self.emu.world,
                kept_parts=self.kept_parts,
                api_version=self.api_version,
                deletes=self.deletes,
                optional=OPTIONAL_RESOURCES,  # the harness switches every opt-in on
            )
        if report.problems:
            detail = "\n  ".join(report.problems[:40])
            raise AssertionError(
                f"seed {self.seed}, {label}: warehouse != workspace "
                f"({len(report.problems)} problems):\n  {detail}"
            )
        for table, ids in report.part_ids.items():
            self.kept_parts[table] = self.kept_parts.get(table, set()) | ids
        return report


SCROLL = "GET /companies/scroll"


FAULTS = {
    "error_rate": 0.025,
    "html_error_share": 0.5,
    "drop_rate": 0.01,
    "timeout_rate": 0.003,
    "timeout_seconds": 3.0,  # the client gives up after 2 s (harness.FAST_RETRIES)
    "malformed_rate": 0.01,
    "burst_429_rate": 0.002,
    "burst_length": 2,
    "endpoints": {SCROLL: {"scroll_error_rate": 0.03, "scroll_expire_rate": 0.03}},
}


# A scroll abandoned after a failed page stays open until it expires (Intercom: 60 s idle) and
# the restart waits for it (`scroll_exists`). The harness waits 18 x 0.2 s, so let abandoned
# scrolls expire after 2 s here — the same race, on a shorter clock. Likewise a 429 burst is
# waited out until `X-RateLimit-Reset`: the end of a 2 s window here, not of Intercom's 10 s.
FAULTY_EMULATOR = {"faults": FAULTS, "scroll_ttl_seconds": 2.0, "rate_limit_window_seconds": 2}


TOTAL_RATE = sum(v for k, v in FAULTS.items() if k.endswith("_rate") and k != "html_error_share")
