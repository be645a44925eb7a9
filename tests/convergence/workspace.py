"""Workspace changes the emulator's activity does not simulate: deleting contacts, companies
and tickets (Intercom has DELETE endpoints and archiving, but no tombstone feed for them).

Built from `emulator.world.ops` so the world's indexes stay consistent: a deleted contact leaves its
companies (their `user_count` and `updated_at` change, as Intercom's do); a deleted company
leaves its contacts first. Call with the world's lock held (`emu.control.lock`).
"""

from __future__ import annotations

import random
from typing import Any

from emulator.world import ops

DELETABLE = ("contacts", "companies", "tickets")


def delete_contact(world: Any, contact_id: str) -> dict:
    """Returns the contact as it was (after leaving its companies)."""
    at = world.now
    contact = world.contacts.get(contact_id)
    for item in contact["companies"]["data"]:
        ops.set_contact_company(world, contact_id, item["id"], at, add=False)
    removed = world.contacts.remove(contact_id)
    for note_id in world._contact_notes.pop(contact_id, []):
        world.notes.pop(note_id, None)
    return removed


def restore_contact(world: Any, contact: dict) -> None:
    """Bring a deleted contact back (an un-archived contact), changed now."""
    contact = {**contact, "updated_at": world.now, "notes": {**contact["notes"], "data": []}}
    contact["companies"] = {**contact["companies"], "data": [], "total_count": 0}
    ops.add_contact(world, contact)


def delete_company(world: Any, company_id: str) -> None:
    for contact_id in list(world.company_contact_ids(company_id)):
        ops.set_contact_company(world, contact_id, company_id, world.now, add=False)
    world.companies.remove(company_id)
    world._company_contacts.pop(company_id, None)
    for note_id in world._company_notes.pop(company_id, []):
        world.notes.pop(note_id, None)


def delete_ticket(world: Any, ticket_id: str) -> None:
    ticket = world.tickets.get(ticket_id)
    for ref in ticket["contacts"]["contacts"]:
        world._contact_tickets.get(ref["id"], {}).pop(ticket_id, None)
    world.tickets.remove(ticket_id)


def is_deletable(world: Any, contact_id: str) -> bool:
    # Contacts in conversations/tickets stay: Intercom keeps those records referencing them,
    # and the truth's link tables would then point at a contact that no longer exists.
    return not world.conversation_ids_of_contact(contact_id) and not world.ticket_ids_of_contact(
        contact_id
    )


def delete_random(world: Any, rng: random.Random, entity: str, k: int) -> list[str]:
    """Delete up to `k` random records of `entity`; returns their ids."""
    store = getattr(world, entity)
    deleted: list[str] = []
    for _ in range(20 * k):
        if len(deleted) >= k:
            break
        id_ = store.random_id(rng)
        if id_ is None:
            break
        if entity == "contacts":
            if not is_deletable(world, id_):
                continue
            delete_contact(world, id_)
        elif entity == "companies":
            delete_company(world, id_)
        else:
            delete_ticket(world, id_)
        deleted.append(id_)
    return deleted
