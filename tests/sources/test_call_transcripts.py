"""The opt-in `call_transcripts` (issue 21): read with `calls`, 20 conversations a request, only
for the calls new or changed since the last run and those still waiting for a transcript."""

from __future__ import annotations

import logging
import math

from bench.minimum import _world_counts, transcript_requests
from emulator.world.activity import advance
from emulator.world.call_transcripts import transcript
from tests.helpers.truth import mismatches, truth

SEARCH = "POST /calls/search"
INCLUDE = ["call_transcripts"]


def searches(emu) -> int:
    return sum(emu.control.stats.snapshot()["endpoints"].get(SEARCH, {}).values())


def assert_converged(emu, rows) -> None:
    loaded = rows("call_transcripts")
    assert mismatches(loaded, truth(emu, "call_transcripts"), key="call_id") == []
    entries: dict[str, list[dict]] = {}
    for entry in rows("call_transcripts__entries"):
        entries.setdefault(entry["call_id"], []).append(entry)
    calls = emu.world.content["calls"]
    for row in loaded:
        want = transcript(emu.world, calls[row["call_id"]])[1]
        got = sorted(entries.get(row["call_id"], []), key=lambda e: e["position"])
        assert [(e["speaker"], e["text"]) for e in got] == [
            (e["speaker"], e["text"]) for e in want
        ], row["call_id"]


def test_transcripts_load_20_conversations_a_request_and_converge_without_a_stamp(
    emulator, sync, rows
):
    # ~30 calls with a conversation: more than one search
    emu = emulator(counts={"conversations": 400, "contacts": 120, "tickets": 3})
    world = emu.world
    conversations = {r["conversation_id"] for r in truth(emu, "call_transcripts")}
    assert len(conversations) > 20
    emu.control.stats.reset()
    sync(emu, resources=["calls"], include=INCLUDE)
    assert searches(emu) == math.ceil(len(conversations) / 20)
    assert searches(emu) == transcript_requests(_world_counts(emu.base_url), tuple(INCLUDE))
    assert any(r.get("transcript_status") == "completed" for r in rows("call_transcripts"))
    assert_converged(emu, rows)
    columns = {c for c in rows("call_transcripts")[0] if not c.startswith("_dlt")}
    assert columns == {"call_id", "conversation_id", "transcript_status"}  # not the calls'

    emu.control.stats.reset()
    sync(emu, resources=["calls"], include=INCLUDE)
    assert searches(emu) == 0  # nothing changed, nothing waits for a transcript

    # New calls start and end; their transcripts come later, without a new `updated_at`.
    advance(world, 2 * 86400, intensity=4.0)
    sync(emu, resources=["calls"], include=INCLUDE)
    assert_converged(emu, rows)
    before = {r["call_id"]: r["transcript_status"] for r in truth(emu, "call_transcripts")}
    stamps = {c["id"]: c["updated_at"] for c in world.content["calls"].values()}
    advance(world, 3 * 3600, intensity=0.0)  # the clock moves, no call changes
    after = {r["call_id"]: r["transcript_status"] for r in truth(emu, "call_transcripts")}
    assert stamps == {c["id"]: c["updated_at"] for c in world.content["calls"].values()}
    assert any(before[c] != after[c] for c in before)  # transcribed meanwhile
    sync(emu, resources=["calls"], include=INCLUDE)
    assert_converged(emu, rows)


def test_left_out_unless_included_and_skipped_with_a_warning_before_2_10(
    emulator, sync, rows, caplog
):
    emu = emulator()
    emu.control.stats.reset()
    sync(emu, resources=["calls"])
    assert rows("calls") and rows("call_transcripts") == [] and searches(emu) == 0
    old = emulator(api_version="2.9")
    with caplog.at_level(logging.WARNING):
        sync(old, resources=["subscription_types"], include=INCLUDE, pipeline_name="old")
    assert any("call_transcripts" in r.getMessage() for r in caplog.records)
    assert rows("call_transcripts", pipeline_name="old") == []


def test_a_transcript_search_out_of_retries_is_recorded_and_read_again_next_run(
    emulator, sync, rows
):
    from sources.intercom.client import IntercomClient
    from sources.intercom.contained import ResourceFailures

    emu = emulator(counts={"conversations": 200, "contacts": 60, "tickets": 3})
    emu.control.update({"faults": {SEARCH: {"error_rate": 1.0}}})

    def client() -> IntercomClient:
        return IntercomClient(
            emu.token, base_url=emu.base_url, api_version="2.16", max_retries=1,
            backoff_base_s=0.01, backoff_max_s=0.02,
        )  # fmt: skip

    failures = ResourceFailures()
    sync(emu, resources=["calls"], include=INCLUDE, client=client(), failures=failures)
    assert set(failures.failed) == {"call_transcripts"}
    assert "/calls/search" in failures.failed["call_transcripts"]
    assert len(rows("calls")) == len(emu.world.content["calls"])  # the calls still load
    assert rows("call_transcripts") == []

    emu.control.update({"faults": None})
    failures = ResourceFailures()
    sync(emu, resources=["calls"], include=INCLUDE, client=client(), failures=failures)
    assert failures.failed == {}
    assert_converged(emu, rows)  # the failed run's calls were read again
