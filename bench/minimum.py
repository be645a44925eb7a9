"""The fewest requests any client needs to read a world through the Intercom API.

Derived from the emulator's truth (what the warehouse must hold), per resource group, for a
full first sync and for a run after which nothing changed. Every sync process also reads `/me`
once (the workspace timezone, and the token check).

Full sync, per group:
  lookups        admins, teams, tags, segments, ticket_types (1 each) + data_attributes
                 (2: contact and company models)
  contacts       data_attributes(contact) + ceil(contacts / 150) search pages + one
                 `/contacts/{id}/tags` per contact with > 10 tags + ceil(n / 50) pages of
                 `/contacts/{id}/companies` per contact with > 10 companies + ceil(n / 50)
                 pages of `/contacts/{id}/notes` per contact with notes (contact_notes)
  companies      data_attributes(company) + ceil(companies / scroll page) + 1 (the scroll
                 ends on an empty page) + ceil(n / 50) pages of `/companies/{id}/notes` per
                 company with notes (company_notes; 2.10+)
  segment_members /segments + ceil(members / 150) contact search pages per segment (at least
                 one), every run: contacts__segments is read whole (segment_members.py)
  conversations  ceil(conversations / 150) + one detail GET each + the deletion feed
                 (ceil(deleted / 60), at least 1)
  tickets        /ticket_types + ceil(tickets / 150) + one detail GET each
  content        (2.16) ticket_states, away_status_reasons, brands, subscription_types,
                 help_centers (1 each) + office_hours_schedules (1 + one exceptions list per
                 schedule) + ceil(n / 150) pages of content_snippets, internal_articles,
                 macros, help_center_collections, articles, news_items and newsfeeds + one
                 detail GET per article (statistics), + activity_log_event_types (1) and
                 calls (ceil(n / 150)) + the admins' activity log (ceil(n / 150): one window)
  opt-ins        (when switched on, in `conversations`) one handling-events read and one
                 side-conversations read per conversation, plus one per 25 side
                 conversations beyond a conversation's first 25; none in a no-change run;
                 (in `content`) call_transcripts: one `POST /calls/search` per 20
                 conversations with a call; none in a no-change run once no call waits for
                 its transcript
No-change run (no changed parent: no notes read): one search page per searched entity, the
first deletion-feed page, the full
company scroll (companies have no server-side filter), the lookups and the content lists
(all read whole: `updated_since` on macros would miss deletions), one page of the activity
log (the entries since the previous run). With the index-lag
allowance (`no_change_sync_with_lag_allowance`): plus the pages of records updated within
`SEARCH_LAG_SECONDS` of each search's cursor, which a client must re-read not to lose records
that reach the search index late. Settle-aware (`no_change_sync_settle_aware`): plus, once,
the details and notes of what the previous run read within `CLOCK_SKEW_SECONDS` of the server
clock, which a client must load again not to lose a change made within the same second.
"""

from __future__ import annotations

import math
from collections import Counter

import httpx

from bench.emulator_process import EmulatorProcess
from sources.intercom.call_transcripts import MAX_CONVERSATIONS as CALL_SEARCH_IDS
from sources.intercom.call_transcripts import TABLE as CALL_TRANSCRIPTS
from sources.intercom.conversation_extras import SIDE_PAGE_SIZE
from sources.intercom.settings import CLOCK_SKEW_SECONDS, MAX_PAGE_SIZE, SEARCH_LAG_SECONDS

SEARCH_PAGE = MAX_PAGE_SIZE  # what the sync asks for (settings.py: the one page size)
SCROLL_PAGE = 100  # the emulator's default scroll page (Intercom does not document it)
EMBEDDED_LIMIT = 10
CONTACT_COMPANIES_PAGE = 50
DELETED_PAGE = 60
NOTES_PAGE = 50
LOOKUP_REQUESTS = 5 + 2
# data_attributes(contact) and (company), counted in `contacts` and `companies` and in the
# lookups, and /segments, counted in `segment_members` and the lookups: one process running
# all of them reads each once.
SHARED_ATTRIBUTE_READS = 2 + 1
ME = 1
# content lists of one response each (the bench runs 2.16: every content endpoint exists)
# ticket_states, away_status_reasons, brands, subscription_types, help_centers,
# activity_log_event_types
CONTENT_SINGLE_REQUESTS = 6
PAGED_CONTENT = (  # 150 a page
    "content_snippets",
    "internal_articles",
    "macros",
    "help_center_collections",
    "articles",
    "news_items",
    "newsfeeds",
    "calls",
)


def _pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def world_counts(emulator: EmulatorProcess) -> dict[str, int]:
    """Record counts and link overflows of the live world, computed in a child process (the
    truth of a large world is big; the bench process stays small)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "bench.minimum", emulator.base_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _truth(base_url: str, entity: str) -> list[dict]:
    import orjson

    response = httpx.get(f"{base_url}/_emulator/truth/{entity}", timeout=600)
    response.raise_for_status()
    return [orjson.loads(line) for line in response.content.splitlines() if line.strip()]


def _world_counts(base_url: str) -> dict[str, int]:
    counts = {
        name: len(_truth(base_url, name))
        for name in (
            "contacts",
            "companies",
            "conversations",
            "tickets",
            "conversations_deleted",
            *PAGED_CONTENT,
            "office_hours_schedules",
            "admin_activity_logs",
        )
    }
    tags = Counter(row["contact_id"] for row in _truth(base_url, "contacts__tags"))
    companies = Counter(row["contact_id"] for row in _truth(base_url, "contacts__companies"))
    for name in ("contacts", "conversations", "tickets"):
        updated = [row["updated_at"] for row in _truth(base_url, name) if row.get("updated_at")]
        newest = max(updated, default=0)
        counts[f"recent_{name}"] = sum(1 for u in updated if u >= newest - SEARCH_LAG_SECONDS)
    # Versions read within CLOCK_SKEW_SECONDS of the server clock are not final yet
    # (cursor.HorizonCursor): the next run loads them again, once.
    now = httpx.get(f"{base_url}/_emulator/clock", timeout=60).json()["now"]
    unsettled: dict[str, set[str]] = {}
    for name in ("contacts", "companies", "conversations", "tickets"):
        unsettled[name] = {
            str(row["id"])
            for row in _truth(base_url, name)
            if (row.get("updated_at") or 0) >= now - CLOCK_SKEW_SECONDS
        }
        counts[f"unsettled_{name}"] = len(unsettled[name])
    for table, parent, parent_key in (
        ("contact_notes", "contacts", "contact_id"),
        ("company_notes", "companies", "company_id"),
    ):
        notes = Counter(row[parent_key] for row in _truth(base_url, table))
        counts[f"{table}_pages"] = sum(_pages(n, NOTES_PAGE) for n in notes.values())
        counts[f"unsettled_{table}_pages"] = sum(
            _pages(n, NOTES_PAGE) for key, n in notes.items() if str(key) in unsettled[parent]
        )
    members = Counter(row["segment_id"] for row in _truth(base_url, "contacts__segments"))
    segments = [row["id"] for row in _truth(base_url, "segments")]
    counts["segment_member_pages"] = sum(_pages(members[s], SEARCH_PAGE) for s in segments)
    sides = Counter(
        row["conversation_id"] for row in _truth(base_url, "conversation_side_conversations")
    )
    counts["side_conversation_pages_beyond_first"] = sum(
        _pages(n, SIDE_PAGE_SIZE) - 1 for n in sides.values()
    )
    calls = _truth(base_url, CALL_TRANSCRIPTS)  # the calls a transcript search can find
    counts["call_conversations"] = len({row["conversation_id"] for row in calls})
    counts["contact_tag_overflows"] = sum(1 for n in tags.values() if n > EMBEDDED_LIMIT)
    counts["contact_company_pages"] = sum(
        _pages(n, CONTACT_COMPANIES_PAGE) for n in companies.values() if n > EMBEDDED_LIMIT
    )
    return counts


def opt_in_requests(counts: dict[str, int], include: tuple[str, ...] = ()) -> int:
    """The reads of the switched-on conversation opt-ins in a first sync (one per fetched
    conversation each; side conversations: more pages where a conversation has more than a
    page of them)."""
    reads = counts["conversations"] * len([n for n in include if n != CALL_TRANSCRIPTS])
    if "conversation_side_conversations" in include:
        reads += counts.get("side_conversation_pages_beyond_first", 0)
    return reads


def full_sync(counts: dict[str, int], include: tuple[str, ...] = ()) -> dict[str, int]:
    """Minimum requests per resource group for a first sync (each group's own `/me` included;
    `include`: the opt-ins switched on, read with the conversations)."""
    return {
        "lookups": ME + LOOKUP_REQUESTS,
        "contacts": ME
        + 1
        + _pages(counts["contacts"], SEARCH_PAGE)
        + counts["contact_tag_overflows"]
        + counts["contact_company_pages"]
        + counts.get("contact_notes_pages", 0),
        "companies": ME
        + 1
        + math.ceil(counts["companies"] / SCROLL_PAGE)
        + 1
        + counts.get("company_notes_pages", 0),
        "conversations": ME
        + _pages(counts["conversations"], SEARCH_PAGE)
        + counts["conversations"]
        + _pages(counts["conversations_deleted"], DELETED_PAGE)
        + opt_in_requests(counts, include),
        "tickets": ME + 1 + _pages(counts["tickets"], SEARCH_PAGE) + counts["tickets"],
        "content": ME
        + content_requests(counts)
        + activity_log_requests(counts, first=True)
        + transcript_requests(counts, include),
        "segment_members": ME + 1 + counts.get("segment_member_pages", 0),
    }


def transcript_requests(counts: dict[str, int], include: tuple[str, ...] = ()) -> int:
    """call_transcripts, when switched on, in a first sync: one search per 20 conversations
    with a call."""
    if CALL_TRANSCRIPTS not in include:
        return 0
    return math.ceil(counts.get("call_conversations", 0) / CALL_SEARCH_IDS)


def content_requests(counts: dict[str, int]) -> int:
    """The content lists, each read in full every run (none has a feed of deletions to read
    only the changes from), so a no-change run costs the same."""
    pages = sum(_pages(counts.get(name, 0), SEARCH_PAGE) for name in PAGED_CONTENT)
    schedules = counts.get("office_hours_schedules", 0)
    articles = counts.get("articles", 0)  # one detail each: only it has `statistics`
    return CONTENT_SINGLE_REQUESTS + 1 + schedules + pages + articles


def activity_log_requests(counts: dict[str, int], *, first: bool) -> int:
    """The admins' activity log: all of it the first time (one window from 0), then one
    window since the previous run (a page: entries are never changed, only added)."""
    return _pages(counts.get("admin_activity_logs", 0), MAX_PAGE_SIZE) if first else 1


def no_change_sync(counts: dict[str, int]) -> int:
    """Minimum requests of one run of every resource when nothing changed since the last."""
    return (
        ME
        + LOOKUP_REQUESTS  # incl. both data_attributes models, shared with contacts/companies
        + 1  # contacts search
        + math.ceil(counts["companies"] / SCROLL_PAGE)
        + 1  # company scroll: its pages and the empty one that ends it
        + 1
        + 1  # conversations search, deletion feed
        + 1  # tickets search
        + content_requests(counts)
        + counts.get("segment_member_pages", 0)  # read whole every run
        + activity_log_requests(counts, first=False)
    )


def no_change_sync_with_lag_allowance(counts: dict[str, int]) -> int:
    """The minimum for a client that never loses a record reaching the search index late:
    each search re-reads the records updated within `SEARCH_LAG_SECONDS` of its cursor (one
    page more than they fill: the page that crosses the cutoff)."""
    recent = sum(
        counts.get(f"recent_{name}", 0) // SEARCH_PAGE
        for name in ("contacts", "conversations", "tickets")
    )
    return no_change_sync(counts) + recent


def no_change_sync_settle_aware(counts: dict[str, int]) -> int:
    """The minimum for a client that also never loses a change made within the second it read
    a version: it loads again, once, what the previous run read within `CLOCK_SKEW_SECONDS`
    of the server clock (cursor.HorizonCursor, docs/clocks.md). Their search pages are within
    the lag allowance's; on top: a detail GET per such conversation and ticket, and the notes
    pages of such contacts and companies. Right after a first sync that is the world's last
    half hour of changes; a scheduled run pays it for the previous run's last half hour."""
    return (
        no_change_sync_with_lag_allowance(counts)
        + counts.get("unsettled_conversations", 0)
        + counts.get("unsettled_tickets", 0)
        + counts.get("unsettled_contact_notes_pages", 0)
        + counts.get("unsettled_company_notes_pages", 0)
    )


if __name__ == "__main__":
    import json
    import sys

    # `python -m bench.minimum BASE_URL`: the counts of the emulator at BASE_URL, as JSON.
    print(json.dumps(_world_counts(sys.argv[1])))
