"""Opt-in per-conversation reads (2.16+): handling events and side conversations.

Read only for the conversations the run fetches, in the same concurrent pass as their detail
(`conversations._sync_entity` queues these paths next to each detail path): one request per
conversation and table (side conversations: one more per 25 beyond the first 25).

Tables (merged; written by the `conversations` resource):
  conversation_handling_events(id, conversation_id, type, timestamp, reason, teammate__*)
      Intercom gives these pause/resume events no id. `id` is built from what identifies one:
      `<conversation_id>:<Unix time>:<type>:<teammate id>`, plus `:<n>` for the n-th repeat
      of the same four in one conversation (events are listed oldest first, so n is stable).
  conversation_side_conversations(id, conversation_id, total_count)
      `id` is the API's `side_conversation_id`.
    + conversation_side_conversations__conversation_parts(side_conversation_id,
      conversation_id, id, part_type, body, author__*, created_at …): its parts, replaced with
      their side conversation.
Replaced per conversation: rows of a fetched conversation that the API no longer lists are
flagged `_deleted_at` (soft) or removed (hard), like the rows of a deleted conversation
(`tombstones.flag_items`). On versions before 2.16 the endpoints do not exist: nothing is read
and the run says so in one warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom.api_version import at_least
from sources.intercom.client import IntercomClient
from sources.intercom.dlt_compat import parse_datetime
from sources.intercom.records import list_items, timestamps_to_utc, utc
from sources.intercom.schema import table_columns
from sources.intercom.settings import LOADER_FILE_FORMAT, merge_hints
from sources.intercom.tombstones import DELETED_AT, HARD, parts_columns
from sources.intercom.warehouse import current_warehouse, rows_with

logger = logging.getLogger(__name__)

HANDLING_EVENTS = "conversation_handling_events"
SIDE_CONVERSATIONS = "conversation_side_conversations"
MIN_API_VERSION = "2.16"
# table -> the path read per conversation
PATHS = {
    HANDLING_EVENTS: "/conversations/{id}/handling_events",
    SIDE_CONVERSATIONS: "/conversations/{id}/side_conversations",
}
SIDE_PAGE_SIZE = 25  # the endpoint's default (max 50): one page holds a conversation's few
# Conversations whose rows are handed to dlt (and checked for stale rows) at once.
BATCH_CONVERSATIONS = 500


def available(api_version: str) -> bool:
    return at_least(api_version, MIN_API_VERSION)


def event_keys(conversation_id: str, events: Iterable[dict]) -> list[str]:
    """The key of each handling event (see the module docstring), in list order."""
    seen: dict[str, int] = {}
    keys = []
    for event in events:
        stamp = event.get("timestamp")
        seconds = int(parse_datetime(stamp).timestamp()) if isinstance(stamp, str) else stamp
        teammate = (event.get("teammate") or {}).get("id")
        base = f"{conversation_id}:{seconds}:{event.get('type')}:{teammate}"
        repeat = seen.get(base, 0)
        seen[base] = repeat + 1
        keys.append(base if repeat == 0 else f"{base}:{repeat}")
    return keys


def handling_event_rows(conversation_id: str, body: dict) -> list[dict]:
    events = list_items(body, "handling_events")
    rows = []
    for key, event in zip(event_keys(conversation_id, events), events, strict=True):
        row = {k: v for k, v in event.items() if v is not None}
        row["id"], row["conversation_id"] = key, conversation_id
        if isinstance(row.get("timestamp"), str):
            row["timestamp"] = parse_datetime(row["timestamp"])
        teammate = row.get("teammate")
        if isinstance(teammate, dict) and teammate.get("id") is not None:
            row["teammate"] = {**teammate, "id": str(teammate["id"])}
        rows.append(row)
    return rows


def side_conversation_rows(conversation_id: str, pages: Iterable[dict]) -> list[dict]:
    rows = []
    for page in pages:
        for item in list_items(page, "side_conversations"):
            side_id = str(item["side_conversation_id"])
            parts = []
            for part in item.get("conversation_parts") or []:
                part = {k: v for k, v in part.items() if v is not None}
                part.update(side_conversation_id=side_id, conversation_id=conversation_id)
                parts.append(timestamps_to_utc(part))
            row = {k: v for k, v in item.items() if k != "side_conversation_id"}
            row.update(id=side_id, conversation_id=conversation_id, conversation_parts=parts)
            rows.append(row)
    return rows


def declare_tables(resource: DltResource, api_version: str, deletes: str) -> None:
    """The merged tables of these reads, as variants of `resource`."""
    for table in PATHS:
        resource.apply_hints(
            table_name=table,
            write_disposition=merge_hints(),
            primary_key="id",
            columns={**table_columns(table, api_version), **parts_columns(deletes)},
            file_format=LOADER_FILE_FORMAT,
            create_table_variant=True,
        )


class ConversationExtras:
    """Collects the extra reads of each fetched conversation as `get_many` completes them (in
    any order) and hands their rows to dlt in batches, with the flags of stale rows."""

    def __init__(self, client: IntercomClient, included: frozenset[str], deletes: str) -> None:
        self.client = client
        self.tables = tuple(sorted(included))
        self.deletes = deletes
        self._bodies: dict[str, dict[str, dict | None]] = {}
        self._found: dict[str, bool] = {}  # conversation id -> its detail answered (not 404)
        self._rows: dict[str, list[dict]] = {table: [] for table in self.tables}
        self._done: list[str] = []  # conversations whose rows are collected

    def paths(self, conversation_id: str) -> list[str]:
        return [PATHS[table].format(id=conversation_id) for table in self.tables]

    def owns(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] in (p.rsplit("/", 1)[-1] for p in PATHS.values())

    def add(self, path: str, body: dict | None) -> Iterator[Any]:
        """A completed extra read (body None: the conversation vanished)."""
        _, _, conversation_id, tail = path.split("/", 3)
        table = next(t for t, p in PATHS.items() if p.endswith(tail))
        self._bodies.setdefault(conversation_id, {})[table] = body
        yield from self._complete(conversation_id)

    def detail(self, conversation_id: str, found: bool) -> Iterator[Any]:
        """The conversation's detail read completed (found False: 404, it vanished)."""
        self._found[conversation_id] = found
        yield from self._complete(conversation_id)

    def _complete(self, conversation_id: str) -> Iterator[Any]:
        bodies = self._bodies.get(conversation_id, {})
        if conversation_id not in self._found or len(bodies) < len(self.tables):
            return
        found = self._found.pop(conversation_id)
        self._bodies.pop(conversation_id, None)
        if not found or any(body is None for body in bodies.values()):
            return  # deleted while read: the deletion feed flags what an earlier run loaded
        for table, body in bodies.items():
            if table == HANDLING_EVENTS:
                self._rows[table] += handling_event_rows(conversation_id, body)
            else:
                pages = [body, *self._more_side_pages(conversation_id, body)]
                self._rows[table] += side_conversation_rows(conversation_id, pages)
        self._done.append(conversation_id)
        if len(self._done) >= BATCH_CONVERSATIONS:
            yield from self.flush()

    def _more_side_pages(self, conversation_id: str, first: dict) -> Iterator[dict]:
        """Pages 2… of a conversation with more than a page of side conversations (rare: read
        here, one after another)."""
        total_pages = int(((first.get("pages") or {}).get("total_pages")) or 1)
        path = PATHS[SIDE_CONVERSATIONS].format(id=conversation_id)
        for page in range(2, total_pages + 1):
            yield self.client.get(path, {"page": page, "per_page": SIDE_PAGE_SIZE})

    def flush(self) -> Iterator[Any]:
        """The collected rows, and the flags of rows the API no longer lists for them."""
        if not self._done:
            return
        conversations, self._done = self._done, []
        warehouse = current_warehouse()
        for table in self.tables:
            rows, self._rows[table] = self._rows[table], []
            if rows:
                yield dlt.mark.with_table_name(rows, table)
            stale = self._stale(warehouse, table, conversations, {str(r["id"]) for r in rows})
            if stale:
                logger.info("%s: %d row(s) no longer listed, flagged", table, len(stale))
                yield dlt.mark.with_table_name(stale, table)

    def _stale(
        self, warehouse: Any, table: str, conversations: list[str], current: set[str]
    ) -> list[dict]:
        columns = ("id", "conversation_id", DELETED_AT) if self.deletes == HARD else None
        loaded = rows_with(warehouse, table, "conversation_id", conversations, columns=columns)
        now = utc(self.client.server_time())
        stale: dict[str, dict] = {}
        for row in loaded:
            if str(row["id"]) in current or row.get(DELETED_AT) is not None:
                continue
            row = {k: v for k, v in row.items() if not k.startswith("_dlt_")}
            row[DELETED_AT] = now
            stale[str(row["id"])] = row
        return list(stale.values())


def skipped_warning(included: frozenset[str], api_version: str) -> None:
    """The one line a run on a version without the endpoints logs."""
    if included and not available(api_version):
        logger.warning(
            "not on Intercom API %s, skipped: %s (their endpoints are %s+)",
            api_version,
            ", ".join(sorted(included)),
            MIN_API_VERSION,
        )
