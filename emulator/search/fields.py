"""Which fields each Intercom search endpoint accepts, their types, and where they live in a
canonical 2.16 record (COMMON.md contract 1).

One place for the field tables of the 2.16 spec descriptions of `POST /contacts/search`,
`/conversations/search` and `/tickets/search` (tests/emulator/test_search_fields.py checks this
module against those tables). Only the mapping onto our record shapes is ours.

Kinds:
- `string`: text, compared case-insensitively.
- `id`: an identifier; str or int accepted in queries, compared exactly as strings.
- `integer`: a number (int, or a string of digits in the query).
- `boolean`.
- `date`: Unix seconds (int, or a string of digits in the query).
- `words`: `source.body`; `=`/`!=`/`IN`/`NIN` compare single words of the HTML-stripped text.
- `dynamic`: custom attributes; the kind follows the query value (or a declared data type).

A getter returns a scalar (None when absent) or, for `multi` fields, a list of scalars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emulator.versions import legacy_priority

Kind = Literal["string", "id", "integer", "boolean", "date", "words", "dynamic"]
Entity = Literal["contacts", "conversations", "tickets"]
Getter = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    get: Getter
    multi: bool = False  # the record holds a list; a filter matches if any element does
    # operators beyond the kind's defaults (tickets `created_at` also takes >= <=) or, when
    # `only_ops` is set, the complete list (contacts `tag_id` takes only = and !=)
    extra_ops: frozenset[str] = frozenset()
    only_ops: frozenset[str] | None = None


def path(*keys: str) -> Getter:
    """Getter walking nested dicts; None as soon as a step is missing or not a dict."""

    def get(record: Mapping[str, Any]) -> Any:
        value: Any = record
        for key in keys:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return get


def id_list(*keys: str) -> Getter:
    """Getter for the `id`s of a nested list of references, e.g. tags.data[].id."""
    container = path(*keys)

    def get(record: Mapping[str, Any]) -> list[Any]:
        items = container(record)
        if not isinstance(items, list):
            return []
        return [item.get("id") for item in items if isinstance(item, Mapping)]

    return get


def _contact_avatar(record: Mapping[str, Any]) -> Any:
    avatar = record.get("avatar")
    return avatar.get("image_url") if isinstance(avatar, Mapping) else avatar


def _contact_email_domain(record: Mapping[str, Any]) -> Any:
    if record.get("email_domain"):
        return record["email_domain"]
    email = record.get("email")
    return email.rsplit("@", 1)[1] if isinstance(email, str) and "@" in email else None


def _contact_formatted_phone(record: Mapping[str, Any]) -> Any:
    return record.get("formatted_phone") or record.get("phone")


# Contacts do not embed their segments; the world keeps membership in this internal key.
SEGMENT_IDS_KEY = "_segment_ids"


def _contact_segment_ids(record: Mapping[str, Any]) -> list[Any]:
    ids = record.get(SEGMENT_IDS_KEY)
    return list(ids) if isinstance(ids, list | tuple | set | frozenset) else []


# The search term for each 2.10+ ticket category (spec: "use the term `request`" etc.).
TICKET_CATEGORY_TERMS = {"Customer": "request", "Back-office": "task", "Tracker": "tracker"}


def _ticket_category(record: Mapping[str, Any]) -> Any:
    category = record.get("category")
    return TICKET_CATEGORY_TERMS.get(category, category)


def _ticket_state(record: Mapping[str, Any]) -> Any:
    state = record.get("ticket_state")
    return state.get("category") if isinstance(state, Mapping) else state


def _ticket_teammate_ids(record: Mapping[str, Any]) -> list[Any]:
    teammates = id_list("teammates", "admins")(record)
    if teammates:
        return teammates
    assignee = record.get("admin_assignee_id")
    return [assignee] if assignee not in (None, 0, "0", "") else []


def ticket_attribute_getter(attribute_id: str) -> Getter:
    """`ticket_attribute.{id}`: find the attribute's name in the embedded ticket type, then
    read `ticket_attributes[name]`."""

    def get(record: Mapping[str, Any]) -> Any:
        attrs = path("ticket_type", "ticket_type_attributes", "data")(record)
        if not isinstance(attrs, list):
            return None
        for attr in attrs:
            if isinstance(attr, Mapping) and str(attr.get("id")) == attribute_id:
                return path("ticket_attributes", str(attr.get("name")))(record)
        return None

    return get


def _specs(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in specs}


def _direct(kind: Kind, *names: str) -> list[FieldSpec]:
    return [FieldSpec(name, kind, path(*name.split("."))) for name in names]


CONTACT_DATES = (
    "created_at",
    "signed_up_at",
    "updated_at",
    "last_seen_at",
    "last_contacted_at",
    "last_replied_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "ios_last_seen_at",
    "android_last_seen_at",
)

CONTACT_FIELDS = _specs(
    FieldSpec("id", "id", path("id")),
    FieldSpec("owner_id", "id", path("owner_id")),
    FieldSpec("external_id", "id", path("external_id")),
    *_direct(
        "string",
        "role",
        "name",
        "email",
        "phone",
        "language_override",
        "browser",
        "browser_language",
        "os",
        "location.country",
        "location.region",
        "location.city",
        "ios_app_version",
        "ios_device",
        "ios_os_version",
        "ios_app_name",
        "ios_sdk_version",
        "android_app_version",
        "android_device",
        "android_app_name",
        "android_sdk_version",
    ),
    FieldSpec("avatar", "string", _contact_avatar),
    FieldSpec("email_domain", "string", _contact_email_domain),
    FieldSpec("formatted_phone", "string", _contact_formatted_phone),
    # the spec table lists these two spellings; records only have ios_device / android_sdk_version
    FieldSpec("ios_app_device", "string", path("ios_device")),
    FieldSpec("andoid_sdk_version", "string", path("android_sdk_version")),
    *_direct("boolean", "unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced"),
    *_direct("date", *CONTACT_DATES),
    FieldSpec("segment_id", "id", _contact_segment_ids, multi=True),
    FieldSpec("tag_id", "id", id_list("tags", "data"), multi=True, only_ops=frozenset({"=", "!="})),
)

CONVERSATION_FIELDS = _specs(
    FieldSpec("id", "id", path("id")),
    *_direct("date", "created_at", "updated_at", "waiting_since", "snoozed_until"),
    *_direct(
        "string",
        "source.type",
        "source.delivered_as",
        "source.subject",
        "source.author.type",
        "source.author.name",
        "source.author.email",
        "source.url",
        "state",
        "priority",
    ),
    FieldSpec("source.id", "id", path("source", "id")),
    FieldSpec("source.author.id", "id", path("source", "author", "id")),
    FieldSpec("source.body", "words", path("source", "body")),
    FieldSpec("contact_ids", "id", id_list("contacts", "contacts"), multi=True),
    FieldSpec("teammate_ids", "id", id_list("teammates", "admins"), multi=True),
    FieldSpec("tag_ids", "id", id_list("tags", "tags"), multi=True),
    *_direct("integer", "admin_assignee_id", "team_assignee_id"),
    FieldSpec("channel_initiated", "string", path("channel", "initial")),
    *_direct("boolean", "open", "read", "ai_agent_participated"),
    *_direct(
        "integer",
        "statistics.time_to_assignment",
        "statistics.time_to_admin_reply",
        "statistics.time_to_first_close",
        "statistics.time_to_last_close",
        "statistics.median_time_to_reply",
        "statistics.count_reopens",
        "statistics.count_assignments",
        "statistics.count_conversation_parts",
    ),
    *_direct(
        "date",
        "statistics.first_contact_reply_at",
        "statistics.first_assignment_at",
        "statistics.first_admin_reply_at",
        "statistics.first_close_at",
        "statistics.last_assignment_at",
        "statistics.last_assignment_admin_reply_at",
        "statistics.last_contact_reply_at",
        "statistics.last_admin_reply_at",
        "statistics.last_close_at",
    ),
    FieldSpec("statistics.last_closed_by_id", "id", path("statistics", "last_closed_by_id")),
    # The rating object holds rating/remark/created_at/updated_at/contact/teammate; the search
    # names differ. requested_at/replied_at map to its created_at/updated_at (our reading).
    FieldSpec(
        "conversation_rating.requested_at", "date", path("conversation_rating", "created_at")
    ),
    FieldSpec("conversation_rating.replied_at", "date", path("conversation_rating", "updated_at")),
    FieldSpec("conversation_rating.score", "integer", path("conversation_rating", "rating")),
    FieldSpec("conversation_rating.remark", "string", path("conversation_rating", "remark")),
    FieldSpec("conversation_rating.contact_id", "id", path("conversation_rating", "contact", "id")),
    # "admin_d" is the spec's spelling; admin_id is accepted too.
    FieldSpec("conversation_rating.admin_d", "id", path("conversation_rating", "teammate", "id")),
    FieldSpec("conversation_rating.admin_id", "id", path("conversation_rating", "teammate", "id")),
    *_direct(
        "string",
        "ai_agent.resolution_state",
        "ai_agent.last_answer_type",
        "ai_agent.rating_remark",
        "ai_agent.source_type",
        "ai_agent.source_title",
    ),
    FieldSpec("ai_agent.rating", "integer", path("ai_agent", "rating")),
)

TICKET_FIELDS = _specs(
    FieldSpec("id", "id", path("id")),
    FieldSpec("created_at", "date", path("created_at"), extra_ops=frozenset({">=", "<="})),
    *_direct("date", "updated_at", "snoozed_until"),
    FieldSpec("title", "string", path("ticket_attributes", "_default_title_")),
    FieldSpec("description", "string", path("ticket_attributes", "_default_description_")),
    FieldSpec("category", "string", _ticket_category),
    FieldSpec("ticket_type_id", "id", path("ticket_type", "id")),
    FieldSpec("contact_ids", "id", id_list("contacts", "contacts"), multi=True),
    FieldSpec("teammate_ids", "id", _ticket_teammate_ids, multi=True),
    # String in the ticket-search table although 2.16 records hold integers: compare as ids.
    FieldSpec("admin_assignee_id", "id", path("admin_assignee_id")),
    FieldSpec("team_assignee_id", "id", path("team_assignee_id")),
    FieldSpec("open", "boolean", path("open")),
    FieldSpec("state", "string", _ticket_state),
)

FIELDS: dict[Entity, dict[str, FieldSpec]] = {
    "contacts": CONTACT_FIELDS,
    "conversations": CONVERSATION_FIELDS,
    "tickets": TICKET_FIELDS,
}

# Prefixes whose suffix names a dynamic attribute, per entity.
DYNAMIC_PREFIXES: dict[Entity, str] = {
    "contacts": "custom_attributes.",
    "conversations": "custom_attributes.",
    "tickets": "ticket_attribute.",
}


def _legacy_priority(record: Mapping[str, Any]) -> Any:
    # <= 2.15 serves priority as priority|not_priority: the value the renderer serves
    return legacy_priority(record.get("priority"))


def _unassigned_as_null(key: str) -> Getter:
    # <= 2.15 serves null, not 0, for an unassigned conversation (API-NOTES §6)
    def get(record: Mapping[str, Any]) -> Any:
        value = record.get(key)
        return None if value in (0, "0") else value

    return get


# Conversation fields whose values read differently before 2.16, as those versions serve them.
LEGACY_CONVERSATION_FIELDS = _specs(
    FieldSpec("priority", "string", _legacy_priority),
    FieldSpec("admin_assignee_id", "integer", _unassigned_as_null("admin_assignee_id")),
    FieldSpec("team_assignee_id", "integer", _unassigned_as_null("team_assignee_id")),
)


def lookup_field(entity: Entity, name: str, *, legacy: bool = False) -> FieldSpec | None:
    """The spec for `name` on `entity`, building dynamic attribute specs on demand.

    `legacy=True` (API versions before 2.16) reads the few fields whose values changed in 2.16
    the way older versions serve them.
    """
    if legacy and entity == "conversations" and name in LEGACY_CONVERSATION_FIELDS:
        return LEGACY_CONVERSATION_FIELDS[name]
    spec = FIELDS[entity].get(name)
    if spec is not None:
        return spec
    prefix = DYNAMIC_PREFIXES[entity]
    if name.startswith(prefix) and len(name) > len(prefix):
        attribute = name[len(prefix) :]
        if entity == "tickets":
            return FieldSpec(name, "dynamic", ticket_attribute_getter(attribute))
        return FieldSpec(name, "dynamic", path("custom_attributes", attribute))
    return None
