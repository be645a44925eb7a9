"""Opt-in `call_transcripts` (2.10+: `POST /calls/search`), read in the `calls` resource's run.

`POST /calls/search` takes 1 to 20 conversation ids and returns their calls with
`transcript` (a list of entries) and `transcript_status`: one request per 20 conversations
with a call to read (a conversation's calls come together). Calls without a conversation
cannot be asked for: they get no row.

Which calls a run reads. `/calls` is read whole each run (it can be neither filtered nor
sorted by `updated_at`), so the run knows every call, but a transcript costs requests:
- a first run reads every call;
- later runs read the calls changed since the last run: `updated_at` above the newest one it
  saw, or equal to it for a call it did not see (one-second resolution);
- and the calls still waiting for a transcript: ongoing ones (a call read while ringing may end
  within the same second), and answered ones last read less than `TRANSCRIPT_WAIT_SECONDS`
  after they ended whose transcript was not `completed` — a transcript is made after the call
  ends, and nothing says that moves the call's `updated_at`. A call without a transcript that
  long after its end is taken to have none (not every call is transcribed).
An idle run reads only the waiting calls: none once the recent calls are transcribed.

Tables (merged on `call_id`; written by the `calls` resource):
  call_transcripts(call_id, conversation_id, transcript_status)
    + call_transcripts__entries(call_id, position, <the entry's fields>): the transcript's
      entries in order, replaced with their call's row. The specs type an entry only as an
      object; its fields land as dlt finds them (Intercom's transcript text is lines of
      `[time] speaker: text`).
Recordings (`/calls/{id}/recording`: audio behind an expiring signed URL) are not loaded.

A read that exhausts its retries leaves the run's other tables loading: the calls read so far
keep their rows, and the watermark and waiting list stay as the last good run left them, so
the next run reads those calls again. The run ends as partly failed, naming `call_transcripts`
(exit code 8, like a resource out of retries).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.client import IntercomClient
from sources.intercom.contained import ResourceFailures
from sources.intercom.errors import ApiUnavailableError
from sources.intercom.records import list_items, to_row
from sources.intercom.schema import table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, merge_hints

logger = logging.getLogger(__name__)

TABLE = "call_transcripts"
ENTRIES = "entries"  # the nested table: call_transcripts__entries
SEARCH_PATH = "/calls/search"
MAX_CONVERSATIONS = 20  # per search: the endpoint's limit (400 beyond it)
TRANSCRIPT_WAIT_SECONDS = 86_400  # how long after its end an answered call may still get one
COMPLETED = "completed"
# in the source state: {"since": newest updated_at seen, "seen": ids updated then, "waiting":
# ids of calls still waiting for a transcript}
STATE_KEY = "call_transcripts"


def declare_table(resource: DltResource, api_version: str) -> None:
    """`call_transcripts` as a merged variant of the (replaced) `calls` resource."""
    resource.apply_hints(
        table_name=TABLE,
        write_disposition=merge_hints(),
        primary_key="call_id",
        columns=table_columns(TABLE, api_version),
        file_format=LOADER_FILE_FORMAT,
        create_table_variant=True,
    )


def _seconds(value: Any) -> int | None:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return None


def calls_to_read(calls: list[dict], state: dict) -> list[dict]:
    """The calls (rows of `calls`) whose transcripts this run reads (module docstring)."""
    since = state.get("since")
    seen = set(state.get("seen") or ())
    waiting = set(state.get("waiting") or ())
    chosen = []
    for call in calls:
        if not call.get("conversation_id"):
            continue  # the search finds calls by conversation only
        call_id = str(call["id"])
        updated_at = _seconds(call.get("updated_at"))
        changed = (
            since is None
            or updated_at is None
            or updated_at > since
            or (updated_at == since and call_id not in seen)
        )
        if changed or call_id in waiting:
            chosen.append(call)
    return chosen


def newest(calls: list[dict], state: dict) -> tuple[int | None, list[str]]:
    """The newest `updated_at` among `calls` and the ids updated then (else the state's)."""
    stamps = {str(c["id"]): _seconds(c.get("updated_at")) for c in calls}
    top = max((s for s in stamps.values() if s is not None), default=None)
    if top is None:
        return state.get("since"), list(state.get("seen") or ())
    return top, sorted(i for i, s in stamps.items() if s == top)


def still_waiting(call: dict, read_at: int) -> bool:
    """Whether a call read at `read_at` without a completed transcript may still get one."""
    if call.get("transcript_status") == COMPLETED:
        return False
    ended_at = _seconds(call.get("ended_at"))
    if ended_at is None:  # ongoing
        started = _seconds(call.get("initiated_at")) or _seconds(call.get("created_at"))
        return started is None or read_at - started < TRANSCRIPT_WAIT_SECONDS
    return call.get("answered_at") is not None and read_at - ended_at < TRANSCRIPT_WAIT_SECONDS


def transcript_row(item: dict) -> dict:
    """One searched call as a `call_transcripts` row (with its entries)."""
    call_id = str(item["id"])
    entries = [
        {**entry, "call_id": call_id, "position": position}
        for position, entry in enumerate(list_items(item.get("transcript"), "data"))
        if isinstance(entry, dict)
    ]
    row = {
        "call_id": call_id,
        "conversation_id": item.get("conversation_id"),
        "transcript_status": item.get("transcript_status"),
        ENTRIES: [to_row(entry) for entry in entries],
    }
    return to_row(row)


def read_transcripts(
    client: IntercomClient, calls: list[dict], failures: ResourceFailures | None = None
) -> Iterator[Any]:
    """The `call_transcripts` items of this run, and its state once every read succeeded. A
    search out of retries is recorded in `failures` (the run then ends as partly failed)."""
    # In the source's state: dlt empties a replaced resource's own state (`calls`) each run.
    state = dlt.current.source_state().setdefault(STATE_KEY, {})
    chosen = calls_to_read(calls, state)
    conversations = sorted({str(call["conversation_id"]) for call in chosen})
    batches = [
        conversations[i : i + MAX_CONVERSATIONS]
        for i in range(0, len(conversations), MAX_CONVERSATIONS)
    ]
    waiting: list[str] = []

    def search(batch: list[str]) -> tuple[list[dict], int]:
        body = client.post(SEARCH_PATH, {"conversation_ids": batch})
        return list_items(body, "data"), client.server_time()

    try:
        with ThreadPoolExecutor(max_workers=max(1, client.max_concurrency)) as pool:
            for found, read_at in pool.map(search, batches):
                waiting += [str(c["id"]) for c in found if still_waiting(c, read_at)]
                rows = [transcript_row(item) for item in found]
                if rows:
                    yield dlt.mark.with_table_name(rows, TABLE)
    except ApiUnavailableError as exc:
        # the calls table still loads; the state stays, so the next run reads these again
        if failures is not None:
            failures.add(TABLE, str(exc))
        logger.error("%s failed; the next run reads them again: %s", TABLE, exc)
        return
    state["since"], state["seen"] = newest(calls, state)
    state["waiting"] = sorted(waiting)
    logger.info("%s: %d call(s) read in %d request(s)", TABLE, len(chosen), len(batches))
