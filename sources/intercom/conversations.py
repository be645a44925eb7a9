"""The `conversations` and `tickets` resources: incremental search + concurrent detail fetches.

Both are one generic "searchable entity with parts" (`parts.EntityWithParts`):

1. `POST /<entity>/search` sorted by `updated_at` ascending, from `cursor - lookback`
   (`settings.SEARCH_LAG_SECONDS`). Search is to the second but `>` may or may
   not be inclusive and there is no `>=` on dates, so the query is `updated_at > t OR
   updated_at = t`; new records can lag in the index, hence the lookback. Every version
   already loaded is dropped by the shared horizon dedup (`cursor.HorizonCursor`), so a run
   with no change reads the search pages and fetches nothing (a version read during its own
   second is loaded once more by the next run: it could still change within that second).
2. For every new version, `GET /<entity>/{id}` through `client.get_many` (bounded concurrency,
   paced by the rate limiter). A 404 means the record was deleted since it was listed: skipped.
3. If a record is seen twice in one pass with different `updated_at`, it moved behind the
   read position while we paged; on a server whose pages are offsets that shifts unread
   records back onto pages already read. The search is then re-run from the mover's old
   position (bounded); if it still does not settle, the next run starts from there.
4. Each record is fetched at most once per run (dlt's upsert misbehaves on duplicate keys in
   one load); one that changes again after it was requested is fetched by id at the start
   of the next run (`refetch` in the resource state).

Tables written by each resource (all merged = upsert, on `id`):
  conversations            one row per conversation: the API fields, objects flattened with
                           `__` (`statistics__*`, `source__*`, `conversation_rating__*`,
                           `sla_applied__*`, `custom_attributes__*` as they come …), typed from
                           the OpenAPI models of the pinned version (`schema.table_columns`);
                           plus `parts_total_count` (the API's `conversation_parts.total_count`)
                           and `parts_truncated` (True when the API returned fewer parts than
                           that: Intercom returns only the newest 500).
  conversations__contacts(conversation_id, contact_id), conversations__tags(conversation_id,
  tag_id), conversations__teammates(conversation_id, admin_id), conversations__topics(
  conversation_id, topic_id, topic_name) (2.10+), conversations__linked_objects(
  conversation_id, linked_object_id, linked_object_type, linked_object_category) (2.10+)
                           nested link tables: replaced per conversation on upsert, so a
                           link that vanished from the API vanishes here.
  conversation_parts       root table merged on the part `id`, with `conversation_id`. Parts
                           are never deleted: those that fall out of the API's newest-500
                           window stay, so the table can hold more than the API shows.
  conversations_deleted(id, deleted_at, metrics_retained)
                           2.16+ only: the deletion feed (see `deletions.py`), read last;
                           each deleted conversation's row gets `_deleted_at` (soft) or is
                           removed (hard), its links and parts removed (`tombstones.py`).
  tickets, tickets__contacts(ticket_id, contact_id), tickets__linked_objects(ticket_id,
  linked_object_id, linked_object_type, linked_object_category), ticket_parts(…, ticket_id)
                           the same for tickets (API 2.10+: `POST /tickets/search`). On 2.9
                           the `tickets` resource is deselected by default; selecting it
                           explicitly raises `UnsupportedApiVersionError`.
  conversation_handling_events, conversation_side_conversations (+ __conversation_parts)
                           opt-in (2.16+): read per fetched conversation in the same detail
                           pass (`conversation_extras.py`).
Nested arrays the API adds (attachments, linked objects …) become dlt child tables merged with
their parent, each carrying its parent's id (`conversations__linked_objects__data.
conversation_id`, `conversation_parts__attachments.conversation_part_id`). Embedded copies of records
synced elsewhere keep their scalar fields only (a conversation's `company__*`, a ticket's
`ticket_type__*`: their tag/segment/attribute lists live in `companies__*`/`ticket_types__*`).

Type notes: every id is text; `admin_assignee_id`/`team_assignee_id` are null when unassigned
(≤2.15 send null, 2.16 sends 0: loaded as null, `parts.UNASSIGNED_AS_ZERO`). Every Unix-seconds
field is a UTC `timestamp`, durations (`statistics__time_to_*`,
`median_time_to_reply`, `handling_time`) `bigint` seconds. Per-version differences land as
the API sends them, with types fixed per version: `priority` (2.9 `priority|not_priority`,
2.16 `none…urgent`), `admin_assignee_id`/`team_assignee_id` (text ids; null when unassigned,
which 2.16 sends as 0), ticket `ticket_state` (string + labels ≤2.11, `ticket_state__*` object
columns 2.12+). `ticket_attributes__*` (readable names, `attribute_keys.py`) are typed from the
`/ticket_types` attribute definitions; conversation `custom_attributes__*` from the
conversation attribute definitions (2.16: `GET /conversations/attributes`; before:
`/data_attributes?model=conversation`), so a decimal attribute is a double on every version
and run (`conversation_attributes.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dlt.sources import DltResource

from sources.intercom import tombstones
from sources.intercom.api_version import at_least
from sources.intercom.arrow_rows import (
    ROOT_SYSTEM_COLUMNS,
    ArrowShaper,
    declare_nested_tables,
    page_tables,
)
from sources.intercom.attribute_keys import AttributeKeys
from sources.intercom.client import IntercomClient
from sources.intercom.conversation_attributes import conversation_attribute_definitions
from sources.intercom.conversation_extras import (
    ConversationExtras,
    available,
    declare_tables,
    skipped_warning,
)
from sources.intercom.cursor import HorizonCursor
from sources.intercom.deletions import (
    DELETED_COLUMNS,
    DELETED_MIN_API_VERSION,
    DELETED_TABLE,
    iter_deleted_conversations,
)
from sources.intercom.errors import ApiVersionError, IntercomError
from sources.intercom.parts import (
    BOOKKEEPING_COLUMNS,
    CONVERSATIONS,
    TICKET_ATTRIBUTES,
    TICKETS,
    EntityWithParts,
    drop_nulls,
    split_record,
    ticket_attribute_columns,
)
from sources.intercom.records import timestamps_to_utc
from sources.intercom.schema import (
    CUSTOM_ATTRIBUTES_PREFIX,
    custom_attribute_columns,
    table_columns,
)
from sources.intercom.settings import (
    CLOCK_SKEW_SECONDS,
    LOADER_FILE_FORMAT,
    MAX_PAGE_SIZE,
    SEARCH_LAG_SECONDS,
    merge_hints,
)
from sources.intercom.tombstones import SOFT, RunClaims
from sources.intercom.warehouse import current_warehouse
from sources.intercom.workspace import Workspace

logger = logging.getLogger(__name__)

SORT = {"field": "updated_at", "order": "ascending"}
# Keys (besides `_at`) whose numeric values are Unix seconds.
TIMESTAMP_SUFFIXES = ("_at", "_since", "_until")
# Rows are handed to dlt in batches of this many records (fewer, bigger items are cheaper).
BATCH_SIZE = 1000
# Extra search passes when records move behind the read position during pagination.
MAX_RESCANS = 2
# Resource-state keys besides the cursor's own.
RESCAN_STATE_KEY = "rescan_from"
REFETCH_STATE_KEY = "refetch"
DELETED_STATE_KEY = "deleted"
PENDING_FLAGS_KEY = "deleted_to_flag"  # deletions seen, their row not flagged yet


# Column hints for a root table, from the run's attribute keys (per attribute field).
RootColumns = Callable[[dict[str, AttributeKeys]], dict]


class UnsupportedApiVersionError(IntercomError):
    """The pinned API version has no endpoint for what was asked."""


def conversations_resource(
    client: IntercomClient,
    *,
    start_value: int | None,
    page_size: int = MAX_PAGE_SIZE,
    end_value: int | None = None,
    deletes: str = SOFT,
    claims: RunClaims | None = None,
    include: frozenset[str] = frozenset(),
) -> DltResource:
    """`conversations` (+ `conversation_parts`, link tables, and on 2.16+ `conversations_deleted`;
    with `include` on 2.16+ the opt-in tables of `conversation_extras`)."""
    with_deletions = at_least(client.api_version, DELETED_MIN_API_VERSION)
    skipped_warning(include, client.api_version)
    with_extras = bool(include) and available(client.api_version)
    claims = claims if claims is not None else RunClaims()

    def deletions(state: dict) -> Iterator[Any]:
        yield from _deleted_rows(client, state, start_value, deletes, claims)

    resource = _entity_resource(
        CONVERSATIONS,
        client,
        start_value=start_value,
        page_size=page_size,
        end_value=end_value,
        then=deletions if with_deletions else None,
        root_columns=lambda keys: custom_attribute_columns(
            conversation_attribute_definitions(client), keys[CUSTOM_ATTRIBUTES_PREFIX]
        ),
        deletes=deletes,
        claims=claims,
        extras=(lambda: ConversationExtras(client, include, deletes)) if with_extras else None,
    )
    if available(client.api_version):
        # declared even when not switched on: a deleted conversation's rows loaded by an
        # earlier run are flagged with it (tombstones.CHILDREN_OF)
        declare_tables(resource, client.api_version, deletes)
    if with_deletions:
        resource.apply_hints(
            table_name=DELETED_TABLE,
            write_disposition=merge_hints(),
            primary_key="id",
            columns=DELETED_COLUMNS,
            file_format=LOADER_FILE_FORMAT,
            create_table_variant=True,
        )
    return resource


def tickets_resource(
    client: IntercomClient,
    *,
    workspace: Workspace | None = None,
    start_value: int | None,
    page_size: int = MAX_PAGE_SIZE,
    end_value: int | None = None,
    deletes: str = SOFT,
    claims: RunClaims | None = None,
) -> DltResource:
    """`tickets` (+ `ticket_parts`, `tickets__contacts`). Deselected on versions without
    ticket search (< 2.10): selecting it explicitly raises `UnsupportedApiVersionError`.
    Ticket attributes are typed from the ticket types the run's `workspace` read (the
    `ticket_types` lookup's read: where it failed, tickets fail too, keeping their cursor)."""
    workspace = workspace if workspace is not None else Workspace(client)
    resource = _entity_resource(
        TICKETS,
        client,
        start_value=start_value,
        page_size=page_size,
        end_value=end_value,
        deletes=deletes,
        claims=claims if claims is not None else RunClaims(),
        root_columns=lambda keys: ticket_attribute_columns(
            workspace.ticket_types(), keys[TICKET_ATTRIBUTES]
        ),
    )
    if not supports(TICKETS, client.api_version):
        resource.selected = False
    return resource


def supports(entity: EntityWithParts, api_version: str) -> bool:
    """Whether `api_version` can list `entity` (tickets need 2.10+)."""
    return at_least(api_version, entity.min_api_version)


def unsupported_message(entity: EntityWithParts, api_version: str) -> str:
    return (
        f"Intercom API {api_version} has no {entity.name} listing (`POST {entity.search_path}` "
        f"exists from {entity.min_api_version}): use api_version {entity.min_api_version} or "
        f"newer (e.g. 2.16) to sync {entity.name}, or leave `{entity.name}` out of the resources."
    )


def updated_since_query(since: int | None, before: int | None = None) -> dict:
    """`updated_at >= since` (and `< before` if given) in Intercom's search DSL (dates have
    no `>=`)."""
    value = max(int(since or 0), 0)
    query = {
        "operator": "OR",
        "value": [
            {"field": "updated_at", "operator": ">", "value": value},
            {"field": "updated_at", "operator": "=", "value": value},
        ],
    }
    if before is None:
        return query
    upper = {"field": "updated_at", "operator": "<", "value": int(before)}
    return {"operator": "AND", "value": [query, upper]}


def _entity_resource(
    entity: EntityWithParts,
    client: IntercomClient,
    *,
    start_value: int | None,
    page_size: int,
    end_value: int | None = None,
    then: Callable[[dict], Iterator[Any]] | None = None,
    root_columns: RootColumns | None = None,
    deletes: str = SOFT,
    claims: RunClaims,
    extras: Callable[[], ConversationExtras] | None = None,
) -> DltResource:
    """The resource reading `entity`. `extras()`: the opt-in reads made per fetched record in
    the same pass (conversation_extras.py). `root_columns(keys)` adds column hints to the root table
    (called once, and only in a run that has rows to load, with the run's `AttributeKeys` per
    attribute field); `then(state)` runs after the search (same state). `claims`: the ids
    with a row in this run's load (tombstones.py). `end_value` (exclusive) limits the search
    to versions updated before it (a backfill chunk)."""
    api_version = client.api_version

    def read() -> Iterator[Any]:
        if not supports(entity, api_version):
            raise UnsupportedApiVersionError(unsupported_message(entity, api_version))
        state = dlt.current.resource_state()
        # A warehouse from before `_deleted_at`: its side tombstone tables applied once.
        yield from tombstones.catch_up(state, current_warehouse(), entity.name, deletes, claims)
        yield from _sync_entity(
            entity,
            client,
            state,
            declared,
            start_value=start_value,
            page_size=page_size,
            root_columns=root_columns,
            end_value=end_value,
            claims=claims,
            extras=extras() if extras is not None else None,
        )
        if then is not None:
            yield from then(state)

    declared = {
        entity.name: {**table_columns(entity.name, api_version), **BOOKKEEPING_COLUMNS},
        entity.parts_table: table_columns(entity.parts_table, api_version),
    }
    tombstone_columns = {
        entity.name: tombstones.root_columns(entity.name, deletes),
        entity.parts_table: tombstones.parts_columns(deletes),
    }
    resource = dlt.resource(read, name=entity.name)
    # Every table is a variant declared up front: a variant starts as a copy of the base
    # hints, so declaring the root's columns on the base would leak them into the others.
    for table, columns in declared.items():
        resource.apply_hints(
            table_name=table,
            write_disposition=merge_hints(),
            primary_key="id",
            columns={**columns, **ROOT_SYSTEM_COLUMNS, **tombstone_columns[table]},
            file_format=LOADER_FILE_FORMAT,
            create_table_variant=True,
        )
    declare_nested_tables(resource, dict.fromkeys(entity.nested_tables, entity.name))
    declare_nested_tables(resource, dict.fromkeys(entity.parts_nested_tables, entity.parts_table))
    return resource


def _sync_entity(
    entity: EntityWithParts,
    client: IntercomClient,
    state: dict,
    declared: dict[str, dict],
    *,
    start_value: int | None,
    page_size: int,
    root_columns: RootColumns | None,
    end_value: int | None = None,
    claims: RunClaims,
    extras: ConversationExtras | None = None,
) -> Iterator[Any]:
    # The server clock at the first admit, i.e. after the first search page, less the skew
    # it may have from the clock stamping `updated_at` (settings.CLOCK_SKEW_SECONDS).
    cursor = HorizonCursor(
        state,
        start_value=start_value,
        settled_before=lambda: client.server_time() - CLOCK_SKEW_SECONDS,
    )
    plan = _FetchPlan(entity, client, cursor, state, page_size, end_value, claims)

    def paths() -> Iterator[str]:
        for record_id in plan.ids():
            yield entity.detail_path(record_id)
            if extras is not None:  # the opt-in reads of this record, in the same pass
                yield from extras.paths(record_id)

    keys = {field: AttributeKeys.in_state(state, field) for field in entity.attribute_fields}
    batch = _Batch(entity, declared, root_columns, keys)
    fetched = vanished = 0
    for path, record in client.get_many(paths()):
        if extras is not None:
            if extras.owns(path):
                yield from extras.add(path, record)
                continue
            yield from extras.detail(path.rsplit("/", 1)[-1], record is not None)
        if record is None:
            vanished += 1  # deleted between search and fetch: not an error
            continue
        fetched += 1
        # Remember the version actually loaded (it may be newer than the search said).
        cursor.admit(record["id"], record.get("updated_at"))
        yield from batch.add(record)
    yield from batch.flush()
    if extras is not None:
        yield from extras.flush()
    cursor.prune(_window_start(cursor.since, state.get(RESCAN_STATE_KEY)))
    logger.info(
        "%s: %d listed by search, %d already loaded, %d fetched, %d vanished before fetch, "
        "%d changed again during the run (fetched next run)",
        entity.name,
        plan.listed,
        plan.listed - plan.admitted,
        fetched,
        vanished,
        len(state.get(REFETCH_STATE_KEY, ())),
    )


class _FetchPlan:
    """Which ids to fetch this run, each at most once.

    A record must not be loaded twice in one run: dlt's upsert then keeps both rows of an id
    that is new to the destination, and mixes the versions' nested rows for one that is not.
    So a record that changes again after it was requested (listed twice while we page, or
    found again by a rescan) is fetched by id at the start of the next run instead.
    """

    def __init__(
        self,
        entity: EntityWithParts,
        client: IntercomClient,
        cursor: HorizonCursor,
        state: dict,
        page_size: int,
        end_value: int | None = None,
        claims: RunClaims | None = None,
    ) -> None:
        self.entity = entity
        self.claims = claims if claims is not None else RunClaims()
        self.end_value = end_value
        self.client = client
        self.cursor = cursor
        self.state = state
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.listed = 0  # search results, all passes
        self.admitted = 0  # of which versions not loaded yet

    def ids(self) -> Iterator[str]:
        """Ids to fetch, lazily (get_many reads them as it goes, so detail fetches overlap
        the next search pages)."""
        requested: set[str] = set()
        for record_id in self.state.pop(REFETCH_STATE_KEY, []):
            if not self.claims.claim(self.entity.name, record_id):
                continue  # flagged gone in this run
            requested.add(record_id)
            yield record_id
        refetch: set[str] = set()
        since = _window_start(self.cursor.since, self.state.get(RESCAN_STATE_KEY))
        for attempt in range(MAX_RESCANS + 1):
            movers = _MoverWatch()
            for record_id in self._new_versions(since, movers):
                if record_id in requested:
                    refetch.add(record_id)
                elif self.claims.claim(self.entity.name, record_id):  # else flagged gone
                    requested.add(record_id)
                    yield record_id
            if movers.rescan_from is None:
                self.state.pop(RESCAN_STATE_KEY, None)
                break
            since = movers.rescan_from
            logger.info(
                "%s: records moved during pagination; searching again from %s (pass %d)",
                self.entity.name,
                since,
                attempt + 2,
            )
        else:
            # Still moving: make the next run start where this one could have missed records.
            self.state[RESCAN_STATE_KEY] = since
            logger.warning(
                "%s: search did not settle; the next run re-reads from %s", self.entity.name, since
            )
        if refetch:
            self.state[REFETCH_STATE_KEY] = sorted(refetch)

    def _new_versions(self, since: int | None, movers: _MoverWatch) -> Iterator[str]:
        """Ids whose listed version is not loaded yet, in search order."""
        pages = self.client.iter_search(
            self.entity.search_path,
            updated_since_query(since, self.end_value),
            items_key=self.entity.items_key,
            sort=SORT,
            per_page=self.page_size,
        )
        for page in pages:
            for item in page:
                record_id, updated_at = str(item["id"]), item.get("updated_at")
                if self.end_value is not None and (updated_at or 0) >= self.end_value:
                    continue  # past the chunk's end: the next chunk (or run) loads it
                movers.see(record_id, updated_at)
                self.listed += 1
                if self.cursor.admit(record_id, updated_at):
                    self.admitted += 1
                    yield record_id


def _window_start(since: int | None, rescan_from: int | None) -> int | None:
    """Where a search must start: `since - lookback`, or earlier if a rescan is pending."""
    if since is None:
        return None
    start = since - SEARCH_LAG_SECONDS
    return min(start, rescan_from) if rescan_from is not None else start


class _MoverWatch:
    """Notices records listed twice in one pass with different `updated_at`."""

    def __init__(self) -> None:
        self._first: dict[str, Any] = {}
        self.rescan_from: int | None = None

    def see(self, record_id: str, updated_at: Any) -> None:
        first = self._first.setdefault(record_id, updated_at)
        if first != updated_at and isinstance(first, int):
            # Unread records sorted after the mover's old position may have shifted back.
            self.rescan_from = first if self.rescan_from is None else min(self.rescan_from, first)


class _Batch:
    """Collects root and part rows and hands them to dlt in batches, each to its table, as
    Arrow tables shaped like dlt's normalizer would (`arrow_rows`)."""

    def __init__(
        self,
        entity: EntityWithParts,
        declared: dict[str, dict],
        root_columns: RootColumns | None,
        keys: dict[str, AttributeKeys],
    ) -> None:
        self.entity = entity
        self.keys = keys  # per attribute field: readable columns, one per name
        # Hints for the root table, computed and sent with the first rows (a run with nothing
        # to load does not pay the request behind them).
        self.root_columns = root_columns
        self.rows: list[dict] = []
        self.parts: list[dict] = []
        self.shapers = [
            ArrowShaper(
                table,
                {table: declared[table]},
                nested,
                timestamp_suffixes=TIMESTAMP_SUFFIXES,
                typed_elsewhere=frozenset(),
                as_dict=_as_dict,
                variant=True,
            )
            for table, nested in (
                (entity.name, entity.nested_tables),
                (entity.parts_table, entity.parts_nested_tables),
            )
        ]
        self.started = False

    def add(self, record: dict) -> Iterator[Any]:
        row, parts = split_record(self.entity, record)
        self.rows.append(row)
        self.parts.extend(parts)
        if len(self.rows) >= BATCH_SIZE:
            yield from self.flush()

    def flush(self) -> Iterator[Any]:
        if not self.rows:
            return
        root_shaper, parts_shaper = self.shapers
        if not self.started:  # inside the extract: the destination is known now
            for shaper in self.shapers:
                shaper.prepare_for_destination(self.entity.name)
            self.started = True
        hints = None
        if self.root_columns is not None:
            columns = self.root_columns(self.keys)
            self.root_columns = None
            root_shaper.declared[self.entity.name].update(columns)
            hints = dlt.mark.make_hints(table_name=self.entity.name, columns=columns)
        for keys in self.keys.values():
            keys.apply(self.rows)
        yield from page_tables(root_shaper, self.rows, hints=hints)
        if self.parts:
            yield from page_tables(parts_shaper, self.parts)
        self.rows, self.parts = [], []


def _as_dict(row: dict) -> dict:
    """A root or part row as dlt's normalizer takes it (the Arrow path's fallback)."""
    return timestamps_to_utc(drop_nulls(row), TIMESTAMP_SUFFIXES)


def _deleted_rows(
    client: IntercomClient,
    state: dict,
    start_value: int | None,
    deletes: str,
    claims: RunClaims,
) -> Iterator[Any]:
    """New tombstones from the deletion feed (own cursor on `deleted_at`, same horizon dedup),
    and the flags (or removals) of those conversations in `conversations` (tombstones.py).
    Runs after the search: a conversation loaded by it in this run (deleted meanwhile) is
    flagged by the next run (one row per id per load), kept in the state until then."""
    cursor = HorizonCursor(state.setdefault(DELETED_STATE_KEY, {}), start_value=start_value)
    since = _window_start(cursor.since, None)
    gone = tombstones.pending(state, PENDING_FLAGS_KEY)
    try:
        for page in iter_deleted_conversations(client, since):
            fresh = [row for row in page if cursor.admit(row["id"], row.get("deleted_at"))]
            if fresh:
                gone += [
                    tombstones.Tombstone(row["id"], row.get("deleted_at") or client.server_time())
                    for row in fresh
                ]
                rows = [timestamps_to_utc(row) for row in fresh]
                yield dlt.mark.with_table_name(rows, DELETED_TABLE)
    except ApiVersionError as exc:
        # The documented answer where the feed does not exist: no tombstones, not a failure.
        logger.warning("conversations_deleted skipped: %s", exc)
        return
    flag_now = [t for t in gone if claims.claim(CONVERSATIONS.name, t.id)]
    tombstones.keep_pending(state, PENDING_FLAGS_KEY, [t for t in gone if t not in flag_now])
    yield from tombstones.flag_items(current_warehouse(), CONVERSATIONS.name, flag_now, deletes)
    cursor.prune(_window_start(cursor.since, None))


def conversation_resources(
    client: IntercomClient,
    *,
    workspace: Workspace | None = None,
    start_value: int | None,
    page_size: int = MAX_PAGE_SIZE,
    end_value: int | None = None,
    deletes: str = SOFT,
    claims: RunClaims | None = None,
    include: frozenset[str] = frozenset(),
) -> list[DltResource]:
    """The resources of this module, as the `intercom` source lists them; `include`: the
    opt-in reads switched on (optional.py)."""
    if not supports(TICKETS, client.api_version):
        logger.warning("tickets skipped: %s", unsupported_message(TICKETS, client.api_version))
    claims = claims if claims is not None else RunClaims()
    options = {
        "start_value": start_value,
        "page_size": page_size,
        "end_value": end_value,
        "deletes": deletes,
        "claims": claims,
    }
    return [
        conversations_resource(client, include=include, **options),
        tickets_resource(client, workspace=workspace, **options),
    ]
