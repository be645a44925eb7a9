"""Mutations of the world that keep records, reverse indexes and derived fields consistent.

Every change goes through here (generation's history tail, ``advance`` and ``touch``). Records
are copied before editing (copy-on-write) and ``put`` back, so readers never see a half-edited
record. ``updated_at`` of a changed record becomes ``max(updated_at, at)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from emulator.world import records as r
from emulator.world.derive import derive_conversation, derive_ticket
from emulator.world.store import Store

if TYPE_CHECKING:
    from emulator.world import World


def editable(store: Store, id: str) -> dict[str, Any]:
    """A private deep copy of a stored record, safe to modify and ``put`` back."""
    record = store.get(id)
    if record is None:
        raise KeyError(f"{store.name}: {id} not found")
    if store.storage == "dict":  # other modes already return a freshly parsed dict
        record = orjson.loads(orjson.dumps(record))
    return record


def save(store: Store, record: dict, at: int) -> None:
    record["updated_at"] = max(record["updated_at"], at)
    store.put(record)


# -- data attributes -------------------------------------------------------------------------
def add_custom_attribute(
    world: World,
    model: str,
    definition: tuple[str, str, str, str, list[str] | None],
    at: int,
    archived_at: int | None = None,
) -> dict[str, Any]:
    """Define a custom data attribute of `model` ("contact", "company"): `definition` is
    (name, data_type, label, description, options), as in `records`."""
    name, data_type, label, description, options = definition
    # /data_attributes speaks string|integer|float|boolean|date: a conversation attribute's
    # 2.16 `list` is a string with options there, `decimal` a float
    data_type = {"list": "string", "decimal": "float", "datetime": "date"}.get(data_type, data_type)
    attribute = {
        "type": "data_attribute",
        "id": int(world.new_numeric_id("data_attribute")),
        "model": model,
        "name": name,
        "full_name": f"custom_attributes.{name}",
        "label": label,
        "description": description,
        "data_type": data_type,
        "options": list(options) if options else [],
        "api_writable": True,
        "messenger_writable": False,
        "ui_writable": True,
        "custom": True,
        "archived": archived_at is not None,
        "admin_id": world._admin_ids[0],
        "created_at": at,
        "updated_at": at if archived_at is None else archived_at,
    }
    world.data_attributes[model].append(attribute)
    return attribute


# -- contacts ----------------------------------------------------------------------------------
def add_contact(world: World, contact: dict) -> None:
    world.contacts.put(contact)
    for item in contact["companies"]["data"]:
        world._company_contacts.setdefault(item["id"], {})[contact["id"]] = None


def tag_record_items(contact: dict, tag_id: str, at: int, admin_id: str) -> None:
    """Add a tag to a contact dict (no store write)."""
    items = contact["tags"]["data"]
    if any(item["id"] == tag_id for item in items):
        return
    items.append(r.list_ref("tag", tag_id))
    contact["tags"]["total_count"] = len(items)
    contact["_tag_applications"][tag_id] = [at, admin_id]


def untag_record_items(contact: dict, tag_id: str) -> None:
    contact["tags"]["data"] = [item for item in contact["tags"]["data"] if item["id"] != tag_id]
    contact["tags"]["total_count"] = len(contact["tags"]["data"])
    contact["_tag_applications"].pop(tag_id, None)


def link_company_items(contact: dict, company_id: str) -> bool:
    items = contact["companies"]["data"]
    if any(item["id"] == company_id for item in items):
        return False
    items.append(r.list_ref("company", company_id))
    contact["companies"]["total_count"] = len(items)
    return True


def set_contact_tag(world: World, contact_id: str, tag_id: str, at: int, add: bool) -> None:
    contact = editable(world.contacts, contact_id)
    if add:
        tag_record_items(contact, tag_id, at, world.rng.choice(world._admin_ids))
    else:
        untag_record_items(contact, tag_id)
    save(world.contacts, contact, at)


def set_contact_company(world: World, contact_id: str, company_id: str, at: int, add: bool) -> None:
    contact = editable(world.contacts, contact_id)
    members = world._company_contacts.setdefault(company_id, {})
    if add:
        if not link_company_items(contact, company_id):
            return
        members[contact_id] = None
    else:
        items = [i for i in contact["companies"]["data"] if i["id"] != company_id]
        contact["companies"]["data"] = items
        contact["companies"]["total_count"] = len(items)
        members.pop(contact_id, None)
    save(world.contacts, contact, at)
    refresh_user_count(world, company_id, at)


def refresh_user_count(world: World, company_id: str, at: int) -> None:
    company = editable(world.companies, company_id)
    company["user_count"] = len(world._company_contacts.get(company_id, ()))
    save(world.companies, company, at)


def conversation_contact_times(conversation: dict, parts: list[dict]) -> dict[str, list]:
    """{contact id: [last_replied_at, last_contacted_at]} implied by ``parts`` (None = no news).

    A contact *replied* when it authored the source or a comment; it was *contacted* when an
    admin commented (or started the conversation) in a conversation it belongs to.
    """
    times: dict[str, list] = {
        ref["id"]: [None, None] for ref in conversation["contacts"]["contacts"]
    }
    source = (conversation.get("source") or {}).get("author")
    messages = [(source, conversation["created_at"])] if parts is None and source else []
    messages += [(p["author"], p["created_at"]) for p in parts or () if p["part_type"] == "comment"]
    for author, at in messages:
        if author["type"] in r.CONTACT_AUTHOR_TYPES and author["id"] in times:
            slot = times[author["id"]]
            slot[0] = at if slot[0] is None else max(slot[0], at)
        elif author["type"] == "admin":
            for slot in times.values():
                slot[1] = at if slot[1] is None else max(slot[1], at)
    return {k: v for k, v in times.items() if v != [None, None]}


def bump_contact_times(world: World, contact_id: str, replied: int | None, contacted: int | None):
    """Move a contact's last_replied_at / last_contacted_at forward (and its updated_at)."""
    if contact_id not in world.contacts:
        return
    contact = editable(world.contacts, contact_id)
    latest = contact["updated_at"]
    if replied is not None and (contact["last_replied_at"] or 0) < replied:
        contact["last_replied_at"] = replied
        latest = max(latest, replied)
    if contacted is not None and (contact["last_contacted_at"] or 0) < contacted:
        contact["last_contacted_at"] = contacted
        latest = max(latest, contacted)
    save(world.contacts, contact, latest)


def add_note(world: World, contact_id: str, at: int, admin_id: str, body: str) -> str:
    note_id = world.new_numeric_id("note")
    world.notes[note_id] = {
        "type": "note",
        "id": note_id,
        "created_at": at,
        "contact": {"type": "contact", "id": contact_id},
        "author": world.admins[admin_id],
        "body": body,
    }
    world._contact_notes.setdefault(contact_id, []).append(note_id)
    contact = editable(world.contacts, contact_id)
    contact["notes"]["data"].append(r.list_ref("note", note_id))
    contact["notes"]["total_count"] = len(contact["notes"]["data"])
    save(world.contacts, contact, at)
    return note_id


def merge_contacts(world: World, lead_id: str, user_id: str, at: int) -> None:
    """Merge a lead into a user the way Intercom does (2.16 semantics).

    The lead leaves ``contacts`` into ``merged_contacts``; the user gains a ``merge_history``
    entry, the lead's tags and companies, and ``updated_at = at``; the lead's conversations and
    tickets now reference the user and get ``updated_at = at``.
    """
    lead = world.contacts.get(lead_id)
    user = editable(world.contacts, user_id)
    assert lead is not None and lead["role"] == "lead" and user["role"] == "user"
    user["merge_history"].append(
        {
            "type": "merge_history",
            "source_contact_id": lead_id,
            "source_contact_role": "lead",
            "merged_at": at,
        }
    )
    for item in lead["tags"]["data"]:
        applied_at, admin_id = lead["_tag_applications"].get(item["id"], [at, None])
        tag_record_items(user, item["id"], applied_at, admin_id)
    for item in lead["companies"]["data"]:
        members = world._company_contacts.setdefault(item["id"], {})
        members.pop(lead_id, None)
        if link_company_items(user, item["id"]):
            members[user_id] = None
    for key in ("last_seen_at", "last_replied_at", "last_contacted_at"):
        user[key] = max(user[key] or 0, lead[key] or 0) or None
    save(world.contacts, user, at)  # the merge itself is the change
    world.contacts.remove(lead_id)
    world.merged_contacts[lead_id] = (user_id, at)
    for note_id in world._contact_notes.pop(lead_id, []):
        world.notes.pop(note_id, None)
    user_ref = r.contact_reference(user)
    for conversation_id in world._contact_conversations.pop(lead_id, {}):
        conversation = editable(world.conversations, conversation_id)
        refs = [c for c in conversation["contacts"]["contacts"] if c["id"] != lead_id]
        if all(c["id"] != user_id for c in refs):
            refs.append(user_ref)
        conversation["contacts"]["contacts"] = refs
        if (conversation.get("source") or {}).get("author", {}).get("id") == lead_id:
            conversation["source"]["author"] = {**r.contact_author(user)}
        save(world.conversations, conversation, at)
        world._contact_conversations.setdefault(user_id, {})[conversation_id] = None
    for ticket_id in world._contact_tickets.pop(lead_id, {}):
        ticket = editable(world.tickets, ticket_id)
        refs = [c for c in ticket["contacts"]["contacts"] if c["id"] != lead_id]
        if all(c["id"] != user_id for c in refs):
            refs.append(user_ref)
        ticket["contacts"]["contacts"] = refs
        save(world.tickets, ticket, at)
        world._contact_tickets.setdefault(user_id, {})[ticket_id] = None
    for company_id in {item["id"] for item in lead["companies"]["data"]}:
        refresh_user_count(world, company_id, at)


# -- conversations -----------------------------------------------------------------------------
def add_conversation(world: World, conversation: dict) -> None:
    world.conversations.put(conversation)
    for ref in conversation["contacts"]["contacts"]:
        world._contact_conversations.setdefault(ref["id"], {})[conversation["id"]] = None
    _track_snooze(world, conversation)


def append_parts(world: World, conversation: dict, parts: list[dict], at: int) -> None:
    """Append parts to an editable conversation, re-derive, and store it."""
    conversation["conversation_parts"]["conversation_parts"].extend(parts)
    derive_conversation(conversation)
    save(world.conversations, conversation, at)
    _track_snooze(world, conversation)


LONG_CONVERSATION = 400  # parts; such conversations keep getting parts (the 500 window moves)


def _track_snooze(world: World, conversation: dict) -> None:
    if conversation["conversation_parts"]["total_count"] > LONG_CONVERSATION:
        world._long_conversations.add(conversation["id"])
    if conversation["state"] == "closed":
        world._open_conversations.discard(conversation["id"])
    else:
        world._open_conversations.add(conversation["id"])
    if conversation["state"] == "snoozed" and conversation["snoozed_until"] is not None:
        world._snoozed[conversation["id"]] = conversation["snoozed_until"]
    else:
        world._snoozed.pop(conversation["id"], None)


def set_conversation_tag(world: World, conversation_id: str, tag_id: str, at: int) -> None:
    conversation = editable(world.conversations, conversation_id)
    tags = conversation["tags"]["tags"]
    if any(t["id"] == tag_id for t in tags):
        conversation["tags"]["tags"] = [t for t in tags if t["id"] != tag_id]
    else:
        tags.append(conversation_tag(world, tag_id, at))
    save(world.conversations, conversation, at)


def conversation_tag(world: World, tag_id: str, at: int) -> dict[str, Any]:
    return {
        "type": "tag",
        "id": tag_id,
        "name": world.tags[tag_id]["name"],
        "applied_at": at,
        "applied_by": {"type": "admin", "id": world.rng.choice(world._admin_ids)},
    }


def delete_conversation(world: World, conversation_id: str, at: int, metrics_retained: bool):
    conversation = world.conversations.remove(conversation_id)
    if conversation is None:
        return
    for ref in conversation["contacts"]["contacts"]:
        world._contact_conversations.get(ref["id"], {}).pop(conversation_id, None)
    world._snoozed.pop(conversation_id, None)
    world._open_conversations.discard(conversation_id)
    world._long_conversations.discard(conversation_id)
    world.deleted_conversations[conversation_id] = {
        "type": "conversation",
        "id": conversation_id,
        "deleted_at": at,
        "metrics_retained": metrics_retained,
    }


# -- tickets -----------------------------------------------------------------------------------
def link_ticket_to_conversation(world: World, ticket: dict, at: int) -> str | None:
    """Link a new (unsaved) ticket to an earlier conversation of its first contact, both ways.

    Returns the conversation id, or None when the contact has no conversation started by ``at``.
    The conversation gets a ``linked_objects`` entry and ``updated_at = max(updated_at, at)``.
    """
    refs = ticket["contacts"]["contacts"]
    candidates = world._contact_conversations.get(refs[0]["id"], {}) if refs else {}
    for conversation_id in reversed(list(candidates)):
        conversation = world.conversations.get_head(conversation_id)
        if conversation is None or conversation["created_at"] > at:
            continue
        conversation = editable(world.conversations, conversation_id)
        for record, item in (
            (conversation, {"type": "ticket", "id": ticket["id"], "category": ticket["category"]}),
            (ticket, {"type": "conversation", "id": conversation_id, "category": None}),
        ):
            links = record["linked_objects"]
            links["data"].append(item)
            links["total_count"] = len(links["data"])
        if conversation.get("ticket") is None:  # 2.10+: null, or a reference to its ticket
            conversation["ticket"] = {"type": "ticket", "id": ticket["id"]}
        save(world.conversations, conversation, at)
        return conversation_id
    return None


def redact_part(world: World, conversation_id: str, part_id: str, at: int) -> None:
    """Redact a conversation part: body gone, ``redacted`` true, part and conversation bumped."""
    conversation = editable(world.conversations, conversation_id)
    for part in conversation["conversation_parts"]["conversation_parts"]:
        if part["id"] == part_id:
            part["body"] = None
            part["redacted"] = True
            part["updated_at"] = max(part["updated_at"], at)
    save(world.conversations, conversation, at)


def add_ticket(world: World, ticket: dict) -> None:
    world.tickets.put(ticket)
    for ref in ticket["contacts"]["contacts"]:
        world._contact_tickets.setdefault(ref["id"], {})[ticket["id"]] = None


def append_ticket_parts(world: World, ticket: dict, parts: list[dict], at: int) -> None:
    ticket["ticket_parts"]["ticket_parts"].extend(parts)
    derive_ticket(ticket, world.ticket_states)
    save(world.tickets, ticket, at)
