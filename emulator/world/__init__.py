"""The emulator's world: a deterministic, stateful Intercom workspace (no HTTP here).

`World` is state only; generation, activity and truth work on it from their own modules::

    from emulator.world import WorldConfig
    from emulator.world.activity import advance, touch
    from emulator.world.generate import generate_world
    from emulator.world.truth import truth_rows

    world = generate_world(WorldConfig(seed=1, scale="tiny"))
    world.contacts.get(world.contacts.ids()[0])     # canonical 2.16 contact dict (read-only)
    advance(world, 3600)                             # simulate an hour of workspace activity
    touch(world, 5)                                  # change 5 random records *now*
    list(truth_rows(world, "contacts__tags"))        # what the warehouse should hold

Knobs (``WorldConfig``):
    seed        everything derives from it; same config + same call sequence -> same world
    scale       "tiny" | "small" | "medium" | "large" (see emulator.world.scales for the counts)
    counts      optional per-entity overrides, e.g. {"contacts": 50, "conversations": 5}
    timezone    the workspace timezone (app.timezone); day-boundary clusters use it
    start_time  the data clock at generation: history lies before it, ``now == start_time``
    storage     optional override of the scale's record storage ("dict" | "json" | "zjson")

Canonical records are the 2.16 JSON of ``GET /<entity>/{id}`` with complete embedded lists and
all parts (the HTTP layer truncates). Top-level keys starting with ``_`` are internal:
``_segment_ids`` and ``_tag_applications`` ({tag_id: [applied_at, admin_id]}) on contacts,
``_snoozes`` ({part_id: snoozed_until}) on conversations, ``_state_id`` and ``_author`` on
tickets.
``merge_history`` on contacts is always a list ([] when nothing was merged in); the HTTP layer
serves it only with ``include_merge_history=true``.

Statistics and state of conversations are derived by ``emulator.world.derive.derive_conversation``.
Unhappened statistics are null (as real Intercom returns, although the spec says integer).

Extensions beyond the contract (for the HTTP layer):
    generate_world(cfg, reuse=True)     returns a clone of a cached pristine world when this
                                        process generated ``cfg`` before (tiny..medium)
    world.clone()                       independent copy in the same state, O(n) pointers
    store.get_head(id)                  record without conversation_parts/ticket_parts: use it
                                        for list and search pages (no parts parsing)
    store.updated_index()               the sorted (updated_at, id) pairs behind
                                        ids_by_updated_at(), for bisect on updated_at
    store.updated_at_by_id()            id -> updated_at of live records (a live view)
    store.get_public_text(id)           packed storage: the head's JSON text without its
                                        internal keys (renders splice it: emulator.http.splice)
    store.values(with_parts=True)       iterate records in creation order
    store.random_id(rng)                a random live id
    world.lock                          RLock held by advance/touch; hold it to read consistently
    world.ticket_states                 dict id -> 2.16 ticket_state_detailed (GET /ticket_states)
    world.notes                         dict id -> note (contact and company notes)
    world.content                       kind -> id -> record: away status reasons, brands,
                                        office hours (+ exceptions), content snippets,
                                        internal articles, macros, subscription types
                                        (emulator.world.content); also the admins'
                                        activity log (``"activity_logs"``,
                                        emulator.world.audit) and calls (``"calls"``,
                                        emulator.world.calls)
    world.company_contact_ids(cid)      contact ids linked to a company (link order)
    world.contact_segment_ids(cid)      segment ids a contact belongs to
    world.contact_notes(cid)            the contact's note dicts, newest first
    world._company_notes                company id -> note ids, oldest first
                                        (emulator.world.company_notes)
    world.content["consent_changes"]    contact id -> its last consent change, which does not
                                        move `updated_at` (emulator.world.consents)
    world.conversation_ids_of_contact(cid), world.ticket_ids_of_contact(cid)
    world.resolve_merged(cid)           follows merged_contacts to the surviving id (or None)
    world.knobs                         the effective scale knobs
    world.size()                        records in the four big stores
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from emulator.world.randomset import RandomSet
from emulator.world.scales import resolve_scale
from emulator.world.store import Store

WORKSPACE_ID_CODE = "emu4x7qa"  # app.id_code / workspace_id; fixed so URLs look stable


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 1
    scale: str = "tiny"
    counts: dict[str, Any] | None = None
    timezone: str = "Pacific/Kiritimati"
    start_time: int = 1767225600  # 2026-01-01T00:00:00Z
    storage: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # reserved for future knobs

    def identity(self) -> tuple:
        """Everything that determines the generated world, as a hashable tuple."""
        counts = tuple(sorted((self.counts or {}).items()))
        extra = tuple(sorted(self.extra.items()))
        return (self.seed, self.scale, counts, self.timezone, self.start_time, self.storage, extra)

    def __hash__(self) -> int:  # counts is a dict; hash what identifies the world
        return hash(self.identity())


class World:
    """All state of one emulated workspace. Build with ``generate_world(cfg)``."""

    def __init__(self, cfg: WorldConfig) -> None:
        self.cfg = cfg
        self.knobs = resolve_scale(cfg.scale, cfg.counts)
        storage = cfg.storage or self.knobs["storage"]
        self.now: int = cfg.start_time
        self.timezone: str = cfg.timezone
        self.lock = threading.RLock()
        self.app: dict[str, Any] = {}
        self.me: dict[str, Any] = {}
        self.admins: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.tags: dict[str, dict] = {}
        self.segments: dict[str, dict] = {}
        self.ticket_types: dict[str, dict] = {}
        self.ticket_states: dict[str, dict] = {}
        self.data_attributes: dict[str, list[dict]] = {
            "contact": [],
            "company": [],
            "conversation": [],
        }
        self.notes: dict[str, dict] = {}
        # kind -> id -> record: content and settings lists (emulator.world.content)
        self.content: dict[str, dict[str, dict]] = {}
        self.contacts = Store("contacts", storage)
        self.companies = Store("companies", storage)
        self.conversations = Store("conversations", storage, parts_key="conversation_parts")
        self.tickets = Store("tickets", storage, parts_key="ticket_parts")
        self.merged_contacts: dict[str, tuple[str, int]] = {}
        self.deleted_conversations: dict[str, dict] = {}
        # Reverse indexes (ordered sets as dicts) maintained by emulator.world.ops.
        self._company_contacts: dict[str, dict[str, None]] = {}
        self._contact_conversations: dict[str, dict[str, None]] = {}
        self._contact_tickets: dict[str, dict[str, None]] = {}
        self._contact_notes: dict[str, list[str]] = {}
        self._company_notes: dict[str, list[str]] = {}
        self._snoozed: dict[str, int] = {}  # conversation id -> snoozed_until
        self._open_conversations = RandomSet()  # ids of conversations not closed
        self._long_conversations = RandomSet()  # ids of conversations with > 400 parts
        self._counters: dict[str, int] = {}
        self._admin_ids: list[str] = []
        self._team_ids: list[str] = []
        self._ticket_type_ids: list[str] = []
        self._states_by_type: dict[str, dict[str, dict]] = {}  # type id -> category -> state
        self._id_salt = random.Random(f"{cfg.seed}:salt").getrandbits(24)
        # One stream for activity so that advance/touch sequences replay identically.
        self.rng = random.Random(f"{cfg.seed}:activity")

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["lock"]  # locks don't pickle; a loaded world gets a fresh one
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def size(self) -> int:
        """Number of records in the big stores."""
        return (
            len(self.contacts) + len(self.companies) + len(self.conversations) + len(self.tickets)
        )

    def clone(self) -> World:
        """An independent world in exactly this state (same future under the same calls).

        Records and lookup dicts are shared: the world replaces them on change, never edits
        them in place. Containers that do change in place are copied.
        """
        with self.lock:
            twin = World.__new__(World)
            twin.__dict__.update(self.__dict__)
            twin.lock = threading.RLock()
            for name in (
                "admins",
                "teams",
                "tags",
                "segments",
                "ticket_types",
                "ticket_states",
                "notes",
                "merged_contacts",
                "deleted_conversations",
                "_snoozed",
                "_counters",
                "_states_by_type",
            ):
                setattr(twin, name, dict(getattr(self, name)))
            twin.data_attributes = {k: list(v) for k, v in self.data_attributes.items()}
            twin.content = {k: dict(v) for k, v in self.content.items()}
            for name in ("contacts", "companies", "conversations", "tickets"):
                setattr(twin, name, getattr(self, name).clone())
            for name in ("_company_contacts", "_contact_conversations", "_contact_tickets"):
                setattr(twin, name, {k: dict(v) for k, v in getattr(self, name).items()})
            twin._contact_notes = {k: list(v) for k, v in self._contact_notes.items()}
            twin._company_notes = {k: list(v) for k, v in self._company_notes.items()}
            twin._open_conversations = self._open_conversations.clone()
            twin._long_conversations = self._long_conversations.clone()
            for name in ("_admin_ids", "_team_ids", "_ticket_type_ids"):
                setattr(twin, name, list(getattr(self, name)))
            twin.rng = random.Random()
            twin.rng.setstate(self.rng.getstate())
            return twin

    # -- extensions ----------------------------------------------------------------------------
    def company_contact_ids(self, company_id: str) -> list[str]:
        return list(self._company_contacts.get(company_id, ()))

    def contact_segment_ids(self, contact_id: str) -> list[str]:
        contact = self.contacts.get(contact_id)
        return list(contact["_segment_ids"]) if contact else []

    def contact_notes(self, contact_id: str) -> list[dict]:
        return [self.notes[n] for n in reversed(self._contact_notes.get(contact_id, []))]

    def conversation_ids_of_contact(self, contact_id: str) -> list[str]:
        return list(self._contact_conversations.get(contact_id, ()))

    def ticket_ids_of_contact(self, contact_id: str) -> list[str]:
        return list(self._contact_tickets.get(contact_id, ()))

    def states_of_type(self, ticket_type_id: str) -> dict[str, dict]:
        """The ticket_state (detailed) a ticket type uses for each category."""
        return self._states_by_type[ticket_type_id]

    def resolve_merged(self, contact_id: str) -> str | None:
        seen = 0
        while contact_id in self.merged_contacts and seen < 100:
            contact_id = self.merged_contacts[contact_id][0]
            seen += 1
        return contact_id if contact_id in self.contacts else None

    # -- ids -----------------------------------------------------------------------------------
    def next_number(self, series: str, start: int) -> int:
        value = self._counters.get(series, start) + 1
        self._counters[series] = value
        return value

    def new_hex_id(self, created_at: int) -> str:
        """24-hex id like Intercom's (Mongo ObjectId: time, then salt and a counter)."""
        counter = self.next_number("hex", 0)
        return f"{created_at & 0xFFFFFFFF:08x}{self._id_salt:06x}{counter:010x}"

    def new_numeric_id(self, series: str) -> str:
        return str(self.next_number(series, _NUMERIC_STARTS[series]))


# Where each numeric id series starts (ids are numeric strings, as Intercom's are).
_NUMERIC_STARTS = {
    "conversation": 215_000_000_000,
    "part": 40_000_000_000,
    "admin": 7_100_000,
    "team": 5_300_000,
    "tag": 9_800_000,
    "segment": 1_200_000,
    "note": 33_000_000,
    "ticket_type": 40,
    "ticket_state": 7_000,
    "ticket_number": 0,
    "data_attribute": 1_500_000,
}
