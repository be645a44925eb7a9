"""Contacts' subscription consents: the `opted_in_subscription_types` (opt-in types the contact
chose to receive) and `opted_out_subscription_types` (opt-out types the contact left) lists a
contact embeds, and `GET /contacts/{id}/subscriptions` (both, combined, each a full
subscription type with its `consent_type`; only explicit choices are listed, spec 2.9+).

The world keeps the complete lists in the contact record (items
`{"id", "type": "subscription", "url": "/subscription_types/<id>"}`, as Intercom's contact
model documents them); the HTTP layer embeds the first 10 with `has_more`.

Generation: about one contact in five opts in to some opt-in types and one in ten opts out of
some opt-out types; the first user made a choice on every live type (a preference page saved
whole), so a workspace with more than 10 types of a kind (``counts={"subscription_types": …}``)
has a `has_more` list.

`advance`: ``contact_consent_changed`` — a contact opts in or out of one live type, or takes
the choice back. The contact's `updated_at` does NOT move: neither the API reference nor
field reports say a consent change moves it (API-NOTES), and an emulator kinder than Intercom
would hide what a sync keyed on `updated_at` cannot see. The time of a contact's last consent
change is kept in ``world.content["consent_changes"]`` (id -> {"id", "changed_at"}); truth's
``contacts_unstamped_consents`` lists the live contacts whose consents changed after their
`updated_at` (a sync may hold their older consents until the contact changes otherwise).

Determinism: streams of its own (``<seed>:consents`` at generation,
``<seed>:consents:<start>:<end>`` per ``advance`` span), so no other record changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from emulator.world import ops
from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

LISTS = {"opt_in": "opted_in_subscription_types", "opt_out": "opted_out_subscription_types"}
OPT_IN_SHARE = 0.2  # contacts with opt-in choices at generation
OPT_OUT_SHARE = 0.1  # contacts with opt-out choices at generation
# consent changes per simulated day: a share of the contacts, with a floor for tiny worlds
CHANGES_PER_CONTACT_DAY = 0.01
MIN_CHANGES_PER_DAY = 8
CHANGES_KEY = "consent_changes"  # world.content kind: contact id -> last unstamped change


def subscription_ref(type_id: str) -> dict[str, str]:
    return {"id": type_id, "type": "subscription", "url": f"/subscription_types/{type_id}"}


def _live_types(world: World, consent_type: str) -> list[str]:
    return [
        t["id"]
        for t in world.content.get("subscription_types", {}).values()
        if t["consent_type"] == consent_type and t["state"] == "live"
    ]


def _set_list(contact: dict, consent_type: str, ids: list[str]) -> None:
    embedded = contact[LISTS[consent_type]]
    embedded["data"] = [subscription_ref(i) for i in ids]
    embedded["total_count"] = len(ids)


def generate_consents(world: World) -> None:
    rng = random.Random(f"{world.cfg.seed}:consents")
    world.content.setdefault(CHANGES_KEY, {})
    types = {kind: _live_types(world, kind) for kind in LISTS}
    everything = True  # the first user chooses on every type
    for contact_id in world.contacts.ids():  # creation order
        opt_in = rng.random() < OPT_IN_SHARE
        opt_out = rng.random() < OPT_OUT_SHARE
        record = world.contacts.get(contact_id)
        if everything and record["role"] == "user":
            chosen = {kind: list(ids) for kind, ids in types.items()}
            everything = False
        else:
            chosen = {
                kind: _some(rng, types[kind]) if wanted else []
                for kind, wanted in (("opt_in", opt_in), ("opt_out", opt_out))
            }
        if not any(chosen.values()):
            continue
        record = ops.editable(world.contacts, contact_id)
        for kind, ids in chosen.items():
            _set_list(record, kind, ids)
        world.contacts.put(record)  # updated_at unchanged: the choices are older than it


def _some(rng: random.Random, ids: list[str]) -> list[str]:
    if not ids:
        return []
    return sorted(rng.sample(ids, rng.randrange(1, len(ids) + 1)), key=int)


def advance_consents(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    if end <= start or intensity <= 0 or not len(world.contacts):
        return {}
    world.content.setdefault(CHANGES_KEY, {})
    rate = max(CHANGES_PER_CONTACT_DAY * len(world.contacts), MIN_CHANGES_PER_DAY)
    return apply_daily_changes(
        world,
        "consents",
        start,
        end,
        intensity,
        {"contact_consent_changed": rate},
        {"contact_consent_changed": _changed},
    )


def _changed(world: World, rng: random.Random, at: int) -> bool:
    contact_id = world.contacts.random_id(rng)
    kind = rng.choice(tuple(LISTS))
    live = _live_types(world, kind)
    if contact_id is None or not live:
        return False
    type_id = rng.choice(live)
    record = ops.editable(world.contacts, contact_id)
    ids = [item["id"] for item in record[LISTS[kind]]["data"]]
    ids = [i for i in ids if i != type_id] if type_id in ids else [*ids, type_id]
    _set_list(record, kind, ids)
    world.contacts.put(record)  # no `updated_at` move (see the module docstring)
    changes = world.content[CHANGES_KEY]
    changes.pop(contact_id, None)  # keep the dict in change order
    changes[contact_id] = {"id": contact_id, "changed_at": at}
    return True


def contact_subscriptions(world: World, contact: dict) -> list[dict[str, Any]]:
    """`GET /contacts/{id}/subscriptions`'s items: opted-out types, then opted-in ones."""
    types = world.content.get("subscription_types", {})
    return [
        types[item["id"]]
        for kind in ("opt_out", "opt_in")
        for item in contact[LISTS[kind]]["data"]
        if item["id"] in types
    ]


def unstamped_consents(world: World) -> list[dict[str, Any]]:
    """Live contacts whose last consent change is later than their `updated_at`."""
    return [
        {"contact_id": contact_id, "changed_at": change["changed_at"]}
        for contact_id, change in world.content.get(CHANGES_KEY, {}).items()
        if contact_id in world.contacts
        and change["changed_at"] > world.contacts.updated_at(contact_id)
    ]
