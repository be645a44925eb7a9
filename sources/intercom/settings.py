"""Constants of the Intercom source: one place for each fact the resources share."""

from __future__ import annotations

import os
import re
from typing import Any

import dlt

DEFAULT_API_VERSION = "2.16"
# Versions the source knows the shapes of (schema.py is generated from these specs).
SUPPORTED_API_VERSIONS = ("2.9", "2.16")

# Env var accepted as a fallback for the access token (besides dlt's own config/secrets).
TOKEN_ENV_VAR = "INTERCOM_ACCESS_TOKEN"

# Concurrent requests: at ~150 ms per request about 25 in flight reach Intercom's rate limit
# (1,666 per 10 s); the pacer keeps more than that from causing 429s (README: Performance).
DEFAULT_MAX_CONCURRENCY = 32

# Intercom's hard maximum page size for every list/search endpoint.
MAX_PAGE_SIZE = 150
# Embedded relationship lists (contact tags/companies/notes) stop at this many items.
EMBEDDED_LIST_LIMIT = 10
# Page size for /contacts/{id}/companies (page-based; 50 is what Intercom documents).
CONTACT_COMPANIES_PAGE_SIZE = 50

# Contact search compares dates by calendar day in the workspace timezone. We query from the
# start of the cursor's local day minus this many extra days: absorbs search-index lag and
# any doubt about the day boundary.
CONTACT_SAFETY_DAYS = 1
# A contact window holding at least this many pages is split on local day boundaries into
# up to `max_concurrency` slices paged concurrently (sizes chosen from this many count probes).
CONTACT_SPLIT_MIN_PAGES = 20
CONTACT_SPLIT_PROBES = 32
# An incremental contacts run reads newest first down to its cutoff, one page after another;
# when that looks like more than this many full pages, the sliced, concurrent read of the
# whole window is sooner (at 150 ms a page, 50 pages take ~8 s).
CONTACT_NEWEST_FIRST_MAX_PAGES = 50
# How long after its `updated_at` a record may still be missing from search (new records lag
# in the index: API-NOTES §7.1, "minutes"). Each incremental run reads back this far before
# its cursor and drops the versions it already loaded (cursor.HorizonCursor); conversation/
# ticket search also needs it because `>` may or may not be inclusive.
SEARCH_LAG_SECONDS = 2 * 3600
# How far the API's `Date` header may be from the clock that stamps `updated_at` (they need not
# be the same host). A version is final only once `Date` has passed its `updated_at` by this
# much; until then it is loaded again by the next run (a version read within its own second
# can still change within it). No cursor trusts the server clock closer than this
# (docs/clocks.md). The companies filter reaches back `SEARCH_LAG_SECONDS`, wider still.
CLOCK_SKEW_SECONDS = 30 * 60

# Upsert on `id` for the big, mutable entities (nested link tables are replaced per parent).
MERGE = {"disposition": "merge", "strategy": "upsert"}
# Where a destination cannot upsert (dlt 1.31: Redshift, ClickHouse, Synapse, Dremio,
# SQLAlchemy): delete the loaded ids (and their nested rows), then insert. The same tables,
# because the source never loads one id twice in a run (delete-insert would keep either).
MERGE_STRATEGIES = ("upsert", "delete-insert")
# Parquet loads into DuckDB several times faster than insert_values (DLT-NOTES).
LOADER_FILE_FORMAT = "parquet"
# Destinations that load parquet natively. The big resources hand dlt Arrow tables only when
# loading into one of these (`arrow_rows`); elsewhere dlt would convert them — on PostgreSQL to
# CSV, whose COPY loads an empty string as NULL — so there they yield dicts, as dlt expects.
PARQUET_DESTINATIONS = frozenset({"duckdb", "motherduck", "filesystem", "ducklake"})


def destination_kind(pipeline: Any) -> str | None:
    """`duckdb`, `postgres`, `filesystem` … of a dlt pipeline (also for named destinations)."""
    if pipeline.destination is None:
        return None
    return str(pipeline.destination.destination_type).rsplit(".", 1)[-1]


# Records per Arrow item (`arrow_rows.batched`): dlt's per-item cost (a few ms of schema
# work) stays small, and a batch of contacts holds ~10 MB.
ROWS_PER_ITEM = 2000

# Resource names in the order the source returns them (what `--resources` selects).
LOOKUP_RESOURCES = ("admins", "teams", "tags", "segments", "data_attributes", "ticket_types")
ENTITY_RESOURCES = ("contacts", "companies", "conversations", "tickets")
# Content and settings lists (content.py), each on the API versions that have its endpoint.
CONTENT_RESOURCES = (
    "ticket_states",
    "away_status_reasons",
    "brands",
    "office_hours_schedules",
    "content_snippets",
    "internal_articles",
    "macros",
    "subscription_types",
    "help_centers",
    "help_center_collections",
    "help_center_sections",
    "articles",
    "news_items",
    "newsfeeds",
    "activity_log_event_types",
    "calls",
)
# The admins' audit trail (activity_logs.py): merged, incremental on `created_at`.
AUDIT_RESOURCES = ("admin_activity_logs",)
# Tables read with their parent resource, for the records it loads in that run (notes.py):
# naming one in `--resources` selects its parent.
PARENT_TABLES = {"contact_notes": "contacts", "company_notes": "companies"}
# Link tables read whole each run (segment_members.py).
MEMBERSHIP_RESOURCES = ("contacts__segments",)
RESOURCE_NAMES = (
    LOOKUP_RESOURCES
    + ENTITY_RESOURCES
    + CONTENT_RESOURCES
    + MEMBERSHIP_RESOURCES
    + tuple(PARENT_TABLES)
    + AUDIT_RESOURCES
)
# Opt-in reads (optional.py: off by default, each costs a request per parent record); named
# in `--resources`, one runs its parent resource with it switched on.
OPTIONAL_RESOURCES = (
    "conversation_handling_events",
    "conversation_side_conversations",
    "call_transcripts",
)
# Replaced in full each run (every other resource merges): read before the run starts, so
# that one out of retries is left out and its table kept (contained.py).
REPLACED_RESOURCES = LOOKUP_RESOURCES + CONTENT_RESOURCES + MEMBERSHIP_RESOURCES


def selected_resources(names: list[str]) -> list[str]:
    """The source resources that load `names` (a parent table selects its parent), in order,
    each once."""
    return list(dict.fromkeys(PARENT_TABLES.get(name, name) for name in names))


def merge_hints(strategy: str = MERGE["strategy"]) -> dict[str, Any]:
    """A fresh copy of the merge write disposition (dlt mutates hint dicts)."""
    return {**MERGE, "strategy": strategy}


# What an HTTP header value can carry as one word: visible ASCII.
_TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")


def resolve_access_token(access_token: str | None = None) -> str:
    """The token: the argument, else dlt config (`[sources.intercom] access_token` in
    secrets.toml / `SOURCES__INTERCOM__ACCESS_TOKEN`), else `INTERCOM_ACCESS_TOKEN`.

    Raises `AuthError` (code `missing_authorization`) naming where to put it, or
    (`malformed_token`) when it holds what no token holds; never logs it.
    """
    from sources.intercom.errors import AuthError

    token = (
        access_token
        or dlt.secrets.get("sources.intercom.access_token")
        or os.environ.get(TOKEN_ENV_VAR)
    )
    if not token or not str(token).strip():
        raise AuthError(
            "No Intercom access token: set [sources.intercom] access_token in "
            ".dlt/secrets.toml, or SOURCES__INTERCOM__ACCESS_TOKEN, or "
            f"{TOKEN_ENV_VAR} in the environment",
            status=401,
            code="missing_authorization",
        )
    token = str(token).strip()
    if not _TOKEN_CHARACTERS.fullmatch(token):  # httpx would fail on it, or send it mangled
        raise AuthError(
            "The Intercom access token has characters no token has (a space, a control "
            "character or a non-ASCII one): check that it was copied whole and alone, without a "
            "'Bearer ' prefix",
            status=401,
            code="malformed_token",
        )
    return token
