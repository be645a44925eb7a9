"""What the warehouse should hold: ``truth_rows(world, entity)`` (shared contract 3).

Roots hold live records only (merged-away contacts and deleted conversations are listed in the
tombstone tables instead). Every row is a plain dict; keys per entity:

    contacts              id, updated_at, created_at, role, email, external_id, name
    companies             id, updated_at, created_at, company_id, name, user_count
    conversations         id, updated_at, created_at, state, open, admin_assignee_id,
                          team_assignee_id, count_conversation_parts
    conversation_parts    id, conversation_id, part_type, created_at, updated_at, author_type,
                          visible (True if among the newest 500 parts the API returns)
    tickets               id, updated_at, created_at, ticket_type_id, ticket_state (category),
                          ticket_state_id, open
    ticket_parts          id, ticket_id, part_type, created_at, updated_at, ticket_state, visible
    admins                id, name, email
    teams                 id, name
    tags                  id, name
    segments              id, name, updated_at
    contacts__tags        contact_id, tag_id
    contacts__companies   contact_id, company_id
    contacts__segments    contact_id, segment_id
    contacts__opted_in_subscription_types / contacts__opted_out_subscription_types
                          contact_id, subscription_type_id (the contact's current consents)
    contacts_unstamped_consents  contact_id, changed_at: live contacts whose consents changed
                          after their `updated_at` (emulator.world.consents); a sync keyed on
                          `updated_at` may hold their older consents
    companies__tags       company_id, tag_id
    companies__segments   company_id, segment_id
    conversations__contacts   conversation_id, contact_id
    conversations__tags       conversation_id, tag_id
    conversations__teammates  conversation_id, admin_id
    conversations__topics     conversation_id, topic_id
    conversations__linked_objects  conversation_id, linked_object_id
    tickets__contacts     ticket_id, contact_id
    tickets__linked_objects   ticket_id, linked_object_id
    contact_notes         id, contact_id, created_at, author_id, visible (always True)
    company_notes         id, company_id, created_at, author_id, visible (always True)
    conversations_deleted id, deleted_at, metrics_retained
    contacts_merged       id, merged_into_id, merged_at
    ticket_states         id, category, internal_label, archived
    away_status_reasons   id, label, order, updated_at
    brands                id, name, is_default, updated_at
    office_hours_schedules            id, name, updated_at
    office_hours_schedules__office_hours_exceptions  id, office_hours_schedule_id, exception_date,
                          exception_type
    content_snippets      id, title, updated_at
    internal_articles     id, title, updated_at
    macros                id, name, updated_at (Unix seconds; the API sends ISO strings)
    subscription_types    id, state, consent_type
    help_centers          id, identifier, display_name, updated_at
    help_center_collections   id, name, parent_id, updated_at (2.10+ terms: nested ones too)
    help_center_sections  id, name, parent_id, updated_at (2.9 terms: the nested collections)
    articles              id, title, state, updated_at, views (statistics)
    news_items            id, title, state, updated_at
    news_items__newsfeed_assignments  news_item_id, newsfeed_id
    newsfeeds             id, name, updated_at
    conversation_handling_events  conversation_id, type, timestamp (Unix seconds), teammate_id,
                          reason (no id: the sync builds one, sources/intercom/conversation_extras)
    conversation_side_conversations  id, conversation_id, total_count
    conversation_side_conversations__conversation_parts  id, side_conversation_id,
                          conversation_id, part_type, created_at, author_id
    admin_activity_logs   id, activity_type, created_at, performed_by_id (emulator.world.audit)
    activity_log_event_types  event_type
    calls                 id, conversation_id, state, updated_at (emulator.world.calls)
    call_transcripts      call_id, conversation_id, transcript_status: calls with a
                          conversation, as `POST /calls/search` shows them now
                          (emulator.world.call_transcripts)

Parts of deleted conversations are not in ``conversation_parts`` (the root is gone); a
warehouse that synced them earlier keeps them, as it keeps the root row.
``truth_metrics(world)`` gives summary counts and the true value of every analytics mart
(``emulator.world.metrics``, the same metric definitions as the dbt models in ``analytics/``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from emulator.world.audit import event_types
from emulator.world.call_transcripts import transcript
from emulator.world.company_notes import company_notes
from emulator.world.consents import unstamped_consents
from emulator.world.handling import handling_events, side_conversations
from emulator.world.records import PART_WINDOW  # the newest parts GET returns: what stays `visible`

if TYPE_CHECKING:
    from emulator.world import World


def truth_rows(world: World, entity: str) -> Iterator[dict[str, Any]]:
    try:
        producer = PRODUCERS[entity]
    except KeyError:
        raise ValueError(f"unknown truth entity {entity!r}; known: {sorted(PRODUCERS)}") from None
    return producer(world)


def _contacts(world: World):
    for c in world.contacts.values():
        yield {
            "id": c["id"],
            "updated_at": c["updated_at"],
            "created_at": c["created_at"],
            "role": c["role"],
            "email": c["email"],
            "external_id": c["external_id"],
            "name": c["name"],
        }


def _companies(world: World):
    for c in world.companies.values():
        yield {
            "id": c["id"],
            "updated_at": c["updated_at"],
            "created_at": c["created_at"],
            "company_id": c["company_id"],
            "name": c["name"],
            "user_count": c["user_count"],
        }


def _notes(store: str, parent_key: str, notes_of: Callable[[World, str], list[dict]]):
    """Notes of live parents. `visible`: every note is served (they compare like parts)."""

    def produce(world: World):
        for parent_id in getattr(world, store).ids():
            for note in notes_of(world, parent_id):
                yield {
                    "id": note["id"],
                    parent_key: parent_id,
                    "created_at": note["created_at"],
                    "author_id": note["author"]["id"],
                    "visible": True,
                }

    return produce


def _conversations(world: World):
    for c in world.conversations.values(with_parts=False):
        yield {
            "id": c["id"],
            "updated_at": c["updated_at"],
            "created_at": c["created_at"],
            "state": c["state"],
            "open": c["open"],
            "admin_assignee_id": c["admin_assignee_id"],
            "team_assignee_id": c["team_assignee_id"],
            "count_conversation_parts": c["statistics"]["count_conversation_parts"],
        }


def _with_visibility(parts: list[dict]):
    """Each part with whether the API still shows it (only the newest PART_WINDOW are)."""
    first_visible = max(0, len(parts) - PART_WINDOW)
    for position, part in enumerate(parts):
        yield part, position >= first_visible


def _conversation_parts(world: World):
    for c in world.conversations.values():
        for p, visible in _with_visibility(c["conversation_parts"]["conversation_parts"]):
            yield {
                "id": p["id"],
                "conversation_id": c["id"],
                "part_type": p["part_type"],
                "created_at": p["created_at"],
                "updated_at": p["updated_at"],
                "author_type": p["author"]["type"],
                "visible": visible,
            }


def _handling_events(world: World):
    """Pause/resume events of the live conversations (emulator.world.handling)."""
    for c in world.conversations.values():
        for event in handling_events(c):
            yield {
                "conversation_id": c["id"],
                "type": event["type"],
                "timestamp": _unix(event["timestamp"]),
                "teammate_id": str(event["teammate"]["id"]),
                "reason": event.get("reason"),
            }


def _unix(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _side_conversations(world: World):
    for c in world.conversations.values():
        for side in side_conversations(world.cfg.seed, c):
            yield {
                "id": side["side_conversation_id"],
                "conversation_id": c["id"],
                "total_count": side["total_count"],
            }


def _side_conversation_parts(world: World):
    for c in world.conversations.values():
        for side in side_conversations(world.cfg.seed, c):
            for part in side["conversation_parts"]:
                yield {
                    "id": part["id"],
                    "side_conversation_id": side["side_conversation_id"],
                    "conversation_id": c["id"],
                    "part_type": part["part_type"],
                    "created_at": part["created_at"],
                    "author_id": part["author"]["id"],
                }


def _tickets(world: World):
    for t in world.tickets.values(with_parts=False):
        yield {
            "id": t["id"],
            "updated_at": t["updated_at"],
            "created_at": t["created_at"],
            "ticket_type_id": t["ticket_type"]["id"],
            "ticket_state": t["ticket_state"]["category"],
            "ticket_state_id": t["ticket_state"]["id"],
            "open": t["open"],
        }


def _ticket_parts(world: World):
    for t in world.tickets.values():
        for p, visible in _with_visibility(t["ticket_parts"]["ticket_parts"]):
            yield {
                "id": p["id"],
                "ticket_id": t["id"],
                "part_type": p["part_type"],
                "created_at": p["created_at"],
                "updated_at": p["updated_at"],
                "ticket_state": p["ticket_state"],
                "visible": visible,
            }


def _small(collection: str, keys: tuple[str, ...]) -> Callable[[World], Iterator[dict]]:
    def produce(world: World):
        for record in getattr(world, collection).values():
            yield {k: record[k] for k in keys}

    return produce


def _links(store: str, parent_key: str, child_key: str, items: Callable[[dict], list]):
    def produce(world: World):
        for record in getattr(world, store).values(with_parts=False):
            for item in items(record):
                yield {parent_key: record["id"], child_key: item}

    return produce


def _conversations_deleted(world: World):
    for d in list(world.deleted_conversations.values()):  # snapshot: advance may run
        yield {
            "id": d["id"],
            "deleted_at": d["deleted_at"],
            "metrics_retained": d["metrics_retained"],
        }


def _contacts_merged(world: World):
    for id, (into, at) in list(world.merged_contacts.items()):
        yield {"id": id, "merged_into_id": into, "merged_at": at}


def _content(kind: str, keys: tuple[str, ...]) -> Callable[[World], Iterator[dict]]:
    """Rows of a content list (emulator.world.content); `updated_at` as Unix seconds."""

    def produce(world: World):
        for record in list(world.content.get(kind, {}).values()):
            row = {k: record[k] for k in keys}
            if "_updated_at" in record and "updated_at" in row:
                row["updated_at"] = record["_updated_at"]
            yield row

    return produce


def _sections(world: World):
    for row in _content("help_center_collections", ("id", "name", "parent_id", "updated_at"))(
        world
    ):
        if row["parent_id"] is not None:
            yield row


def _articles(world: World):
    for record in list(world.content.get("articles", {}).values()):
        yield {
            "id": record["id"],
            "title": record["title"],
            "state": record["state"],
            "updated_at": record["updated_at"],
            "views": record["statistics"]["views"],
        }


def _activity_logs(world: World):
    for entry in list(world.content.get("activity_logs", {}).values()):
        yield {
            "id": entry["id"],
            "activity_type": entry["activity_type"],
            "created_at": entry["created_at"],
            "performed_by_id": entry["performed_by"]["id"],
        }


def _event_types(world: World):
    for event_type in event_types():
        yield {"event_type": event_type}


def _newsfeed_assignments(world: World):
    for record in list(world.content.get("news_items", {}).values()):
        for assignment in record["newsfeed_assignments"]:
            yield {"news_item_id": record["id"], "newsfeed_id": str(assignment["newsfeed_id"])}


PRODUCERS: dict[str, Callable[[World], Iterator[dict]]] = {
    "contacts": _contacts,
    "companies": _companies,
    "conversations": _conversations,
    "conversation_parts": _conversation_parts,
    "tickets": _tickets,
    "ticket_parts": _ticket_parts,
    "admins": _small("admins", ("id", "name", "email")),
    "teams": _small("teams", ("id", "name")),
    "tags": _small("tags", ("id", "name")),
    "segments": _small("segments", ("id", "name", "updated_at")),
    "contacts__tags": _links(
        "contacts", "contact_id", "tag_id", lambda c: [i["id"] for i in c["tags"]["data"]]
    ),
    "contacts__companies": _links(
        "contacts", "contact_id", "company_id", lambda c: [i["id"] for i in c["companies"]["data"]]
    ),
    "contacts__segments": _links(
        "contacts", "contact_id", "segment_id", lambda c: list(c["_segment_ids"])
    ),
    **{
        f"contacts__{consents}": _links(
            "contacts",
            "contact_id",
            "subscription_type_id",
            lambda c, consents=consents: [i["id"] for i in c[consents]["data"]],
        )
        for consents in ("opted_in_subscription_types", "opted_out_subscription_types")
    },
    "contacts_unstamped_consents": unstamped_consents,
    "companies__tags": _links(
        "companies", "company_id", "tag_id", lambda c: [t["id"] for t in c["tags"]["tags"]]
    ),
    "companies__segments": _links(
        "companies",
        "company_id",
        "segment_id",
        lambda c: [s["id"] for s in c["segments"]["segments"]],
    ),
    "conversations__contacts": _links(
        "conversations",
        "conversation_id",
        "contact_id",
        lambda c: [x["id"] for x in c["contacts"]["contacts"]],
    ),
    "conversations__tags": _links(
        "conversations", "conversation_id", "tag_id", lambda c: [t["id"] for t in c["tags"]["tags"]]
    ),
    "conversations__teammates": _links(
        "conversations",
        "conversation_id",
        "admin_id",
        lambda c: [t["id"] for t in (c["teammates"] or {}).get("admins", [])],
    ),
    "conversations__topics": _links(
        "conversations",
        "conversation_id",
        "topic_id",
        lambda c: [t["id"] for t in (c.get("topics") or {}).get("topics", [])],
    ),
    "conversations__linked_objects": _links(
        "conversations",
        "conversation_id",
        "linked_object_id",
        lambda c: [o["id"] for o in (c.get("linked_objects") or {}).get("data", [])],
    ),
    "tickets__contacts": _links(
        "tickets", "ticket_id", "contact_id", lambda t: [x["id"] for x in t["contacts"]["contacts"]]
    ),
    "tickets__linked_objects": _links(
        "tickets",
        "ticket_id",
        "linked_object_id",
        lambda t: [o["id"] for o in (t.get("linked_objects") or {}).get("data", [])],
    ),
    "contact_notes": _notes("contacts", "contact_id", lambda w, c: w.contact_notes(c)),
    "company_notes": _notes("companies", "company_id", company_notes),
    "conversations_deleted": _conversations_deleted,
    "contacts_merged": _contacts_merged,
    "ticket_states": _small("ticket_states", ("id", "category", "internal_label", "archived")),
    "away_status_reasons": _content("away_status_reasons", ("id", "label", "order", "updated_at")),
    "brands": _content("brands", ("id", "name", "is_default", "updated_at")),
    "office_hours_schedules": _content("office_hours_schedules", ("id", "name", "updated_at")),
    "office_hours_schedules__office_hours_exceptions": _content(
        "office_hours_exceptions",
        ("id", "office_hours_schedule_id", "exception_date", "exception_type"),
    ),
    "content_snippets": _content("content_snippets", ("id", "title", "updated_at")),
    "internal_articles": _content("internal_articles", ("id", "title", "updated_at")),
    "macros": _content("macros", ("id", "name", "updated_at")),
    "subscription_types": _content("subscription_types", ("id", "state", "consent_type")),
    "help_centers": _content("help_centers", ("id", "identifier", "display_name", "updated_at")),
    "help_center_collections": _content(
        "help_center_collections", ("id", "name", "parent_id", "updated_at")
    ),
    "help_center_sections": _sections,
    "articles": _articles,
    "news_items": _content("news_items", ("id", "title", "state", "updated_at")),
    "news_items__newsfeed_assignments": _newsfeed_assignments,
    "newsfeeds": _content("newsfeeds", ("id", "name", "updated_at")),
    "conversation_handling_events": _handling_events,
    "conversation_side_conversations": _side_conversations,
    "conversation_side_conversations__conversation_parts": _side_conversation_parts,
}
PRODUCERS["admin_activity_logs"] = _activity_logs
PRODUCERS["activity_log_event_types"] = _event_types
PRODUCERS["calls"] = _content("calls", ("id", "conversation_id", "state", "updated_at"))


def _call_transcripts(world: World):
    calls = sorted(world.content.get("calls", {}).values(), key=lambda c: int(c["id"]))
    for call in calls:
        if call.get("conversation_id"):
            yield {
                "call_id": call["id"],
                "conversation_id": call["conversation_id"],
                "transcript_status": transcript(world, call)[0],
            }


PRODUCERS["call_transcripts"] = _call_transcripts
TRUTH_ENTITIES = tuple(PRODUCERS)


def truth_metrics(world: World) -> dict[str, Any]:
    """Summary counts and the true value of every analytics mart (see ``emulator.world.metrics``)."""
    from emulator.world.metrics import metrics_truth as compute

    return compute(world)
