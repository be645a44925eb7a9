"""Call transcripts (2.15+ `POST /calls/search`): what `transcript` and `transcript_status` a
call has at the world's `now`.

Only answered calls (`state` completed, with `answered_at`) are transcribed, and not all of
them (`TRANSCRIBED_SHARE`: transcription is a workspace setting and a call may be too short);
the transcript is ready a while after the call ended (up to `MAX_DELAY_SECONDS`), and
becoming ready does not move the call's `updated_at` (nothing in the specs says it does).
Before that, and for every other call, `transcript` is `[]` and `transcript_status` null;
once ready, `transcript_status` is `completed` (the one value the specs show).

The spec types transcript entries only as objects. The emulator's follow the lines of the
spec's `GET /calls/{id}/transcript` example (`[00:00:03] Teammate 1: "Hello, …"`):
`{"timestamp": "00:00:03", "speaker": "Teammate 1" | "User", "text": …}`.

Nothing is stored: a call's transcript is drawn from a stream of its own
(``<seed>:call_transcript:<call id>``), so it is the same whenever it is asked for, and no
other record of a seed changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from emulator.world import records as r

if TYPE_CHECKING:
    from emulator.world import World

TRANSCRIBED_SHARE = 0.7
MIN_DELAY_SECONDS = 60
MAX_DELAY_SECONDS = 2 * 3600  # a transcript is ready within two hours of the call's end
COMPLETED = "completed"


def transcript(world: World, call: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(`transcript_status`, `transcript`) of `call` at `world.now`."""
    ended_at, answered_at = call.get("ended_at"), call.get("answered_at")
    if call.get("state") != "completed" or ended_at is None or answered_at is None:
        return None, []
    rng = random.Random(f"{world.cfg.seed}:call_transcript:{call['id']}")
    if rng.random() >= TRANSCRIBED_SHARE:
        return None, []
    if ended_at + rng.randrange(MIN_DELAY_SECONDS, MAX_DELAY_SECONDS) > world.now:
        return None, []  # not ready yet
    entries = []
    offset = max(0, answered_at - call["initiated_at"])
    length = max(1, ended_at - answered_at)
    for turn in range(rng.randrange(2, 9)):
        offset += rng.randrange(2, max(3, length // 8))
        speaker = "Teammate 1" if turn % 2 == 0 else "User"
        entries.append(
            {
                "timestamp": f"{offset // 3600:02d}:{offset // 60 % 60:02d}:{offset % 60:02d}",
                "speaker": speaker,
                "text": r.pick(rng, r.SENTENCES),
            }
        )
    return COMPLETED, entries


def searched_call(world: World, call: dict[str, Any]) -> dict[str, Any]:
    """A call as `POST /calls/search` lists it: with its transcript and status."""
    status, entries = transcript(world, call)
    return {**call, "transcript": entries, "transcript_status": status}
