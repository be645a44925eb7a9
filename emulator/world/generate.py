"""Initial world generation: a workspace history ending at ``cfg.start_time`` (== ``world.now``).

Deterministic: one ``random.Random`` seeded from ``cfg.seed`` drives everything, records are
created in ``created_at`` order (so Store creation order == time order).

Realism built in on purpose (each is something an extractor can get wrong):
    * ``updated_at`` clusters: a few "bulk import" seconds shared by ~5% of the records of each
      big entity, and ~3% of records updated at local midnight -1 s / 0 s / +1 s of the
      workspace timezone (the day boundaries of contact search).
    * ``heavy_contacts`` users with > 10 companies and > 10 tags (embedded lists overflow).
    * the first conversation has ``max_parts`` parts (> 500 at every scale); part counts are
      otherwise heavy-tailed from 0 up; every part type and author type occurs.
    * custom attributes of every data type, unicode and emoji everywhere, nulls where allowed.
    * a few merged contacts and deleted conversations in the last day of history.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import zoneinfo
from typing import Any

from emulator.world import World, WorldConfig, factory, ops
from emulator.world import cache as world_cache
from emulator.world import records as r
from emulator.world.activity import pick_lead_and_user
from emulator.world.audit import generate_activity_logs
from emulator.world.calls import generate_calls
from emulator.world.company_notes import generate_company_notes
from emulator.world.consents import generate_consents
from emulator.world.content import generate_content
from emulator.world.derive import OPENING_PART_TYPES, derive_conversation, derive_ticket

DAY = 86400


_PRISTINE: dict[tuple, World] = {}  # cfg identity -> untouched generated world
_PRISTINE_MAX = 8
_PRISTINE_MAX_SIZE = 200_000  # about one medium world; large worlds are never kept


def generate_world(cfg: WorldConfig, reuse: bool = True) -> World:
    """The world of ``cfg``. With ``reuse`` (default) a pristine copy of every generated
    tiny/small/medium world stays in this process and later calls return a ``clone`` of it
    (identical, independent, about 20x faster: resets and tests don't regenerate), and the
    opt-in disk cache (emulator.world.cache) is consulted first."""
    key = cfg.identity()
    pristine = _PRISTINE.get(key) if reuse else None
    if pristine is not None:
        return pristine.clone()
    world = world_cache.load(cfg) if reuse else None
    if world is None:
        world = World(cfg)
        populate(world)
        if reuse:
            world_cache.save(world)
    for store in (world.contacts, world.companies, world.conversations, world.tickets):
        store.updated_index()  # build now rather than on the first HTTP request
    if reuse and world.size() <= _PRISTINE_MAX_SIZE:
        _PRISTINE[key] = world
        # Keep at most _PRISTINE_MAX worlds and _PRISTINE_MAX_SIZE records: evict oldest.
        while len(_PRISTINE) > _PRISTINE_MAX or (
            sum(w.size() for w in _PRISTINE.values()) > _PRISTINE_MAX_SIZE
        ):
            _PRISTINE.pop(next(iter(_PRISTINE)))
        return world.clone()
    return world


def populate(world: World) -> None:
    rng = random.Random(f"{world.cfg.seed}:generate")
    knobs = world.knobs
    end = world.cfg.start_time
    begin = end - knobs["history_days"] * DAY
    clusters = UpdatedAtClusters(rng, begin, end, world.timezone)

    _lookups(world, rng, begin)
    companies = _companies(world, rng, begin, end, clusters)
    _contacts(world, rng, begin, end, clusters, companies)
    _company_user_counts(world)
    _conversations(world, rng, begin, end, clusters)
    _tickets(world, rng, begin, end, clusters)
    _history_tail(world, rng, end)
    generate_content(world)  # last, from its own stream: the records above stay as they were
    generate_company_notes(world)  # a stream of its own as well
    generate_activity_logs(world)  # the admins' activity log: a stream of its own too
    generate_calls(world)  # and calls
    generate_consents(world)  # and the contacts' subscription consents


class UpdatedAtClusters:
    """Chooses ``updated_at`` values, some deliberately shared or at local day boundaries."""

    def __init__(self, rng: random.Random, begin: int, end: int, timezone: str) -> None:
        self.rng = rng
        self.bulk_seconds = [rng.randrange(begin + DAY, end) for _ in range(4)]
        self.bulk_seconds.append(end - rng.randrange(60, 3600))  # a fresh bulk change
        self.bulk_seconds.sort()
        zone = zoneinfo.ZoneInfo(timezone)
        local_end = dt.datetime.fromtimestamp(end, zone)
        midnight = local_end.replace(hour=0, minute=0, second=0, microsecond=0)
        self.boundaries: list[int] = []  # ascending
        for days_back in range(29, -1, -1):
            boundary = int((midnight - dt.timedelta(days=days_back)).timestamp())
            if begin < boundary - 1 and boundary + 1 < end:
                self.boundaries.extend((boundary - 1, boundary, boundary + 1))

    def pick(self, created_at: int, natural: int) -> int:
        """``natural`` unless this record falls in a cluster (never earlier than ``natural``)."""
        roll = self.rng.random()
        if roll < 0.07:
            pool = self.bulk_seconds
        elif roll < 0.12:
            pool = self.boundaries
        else:
            return natural
        later = pool[bisect.bisect_left(pool, natural) :]
        return self.rng.choice(later) if later else natural

    def natural(self, created_at: int, end: int) -> int:
        if self.rng.random() < 0.3:
            return created_at
        span = end - created_at
        return created_at + int(span * (self.rng.random() ** 0.5))


def _sorted_times(rng: random.Random, n: int, begin: int, end: int) -> list[int]:
    return sorted(rng.randrange(begin, end) for _ in range(n))


# -- lookups -----------------------------------------------------------------------------------
def _lookups(world: World, rng: random.Random, begin: int) -> None:
    knobs = world.knobs
    app_created = begin - 30 * DAY
    world.app = {
        "type": "app",
        "id_code": "emu4x7qa",
        "name": "Emulated Workspace ✨",
        "region": "US",
        "timezone": world.timezone,
        "created_at": app_created,
        "identity_verification": False,
    }
    team_ids = [world.new_numeric_id("team") for _ in range(knobs["teams"])]
    admin_ids = [world.new_numeric_id("admin") for _ in range(knobs["admins"])]
    world._admin_ids = admin_ids
    world._team_ids = team_ids
    membership: dict[str, list[int]] = {t: [] for t in team_ids}
    for position, admin_id in enumerate(admin_ids):
        teams = [team_ids[position % len(team_ids)]]
        if rng.random() < 0.3:
            teams.append(rng.choice(team_ids))
        teams = sorted(set(teams), key=team_ids.index)
        for team_id in teams:
            membership[team_id].append(int(admin_id))
        name = r.person_name(rng)
        job_title = rng.choice(r.ADMIN_JOBS)
        away_mode_enabled = rng.random() < 0.1
        away_mode_reassign = rng.random() < 0.5
        has_inbox_seat = position == 0 or rng.random() < 0.85
        avatar = f"https://static.example.com/admins/{admin_id}.png" if rng.random() < 0.6 else None
        primary = rng.random() < 0.3 or position % 3 == 1  # every world has filled ones
        role = {"type": "role", "id": "1", "name": "Support Agent"} if rng.random() < 0.5 else None
        world.admins[admin_id] = r.admin_record(
            admin_id,
            name,
            f"{r.slug(name, position)}@support.example.com",
            job_title=job_title,
            away_mode_enabled=away_mode_enabled,
            away_mode_reassign=away_mode_reassign,
            has_inbox_seat=has_inbox_seat,
            team_ids=[int(t) for t in teams],
            avatar=avatar,
            primary_team_ids=[int(teams[0])] if primary else None,
            role=role,
        )
    for position, team_id in enumerate(team_ids):
        members = membership[team_id]
        world.teams[team_id] = {
            "type": "team",
            "id": team_id,
            "name": r.TEAM_NAMES[position % len(r.TEAM_NAMES)]
            + ("" if position < len(r.TEAM_NAMES) else f" {position}"),
            "admin_ids": members,
            "admin_priority_level": (
                {"primary_admin_ids": members[:1], "secondary_admin_ids": members[1:]}
                if members and rng.random() < 0.5
                else None
            ),
            "assignment_limit": rng.choice((None, 10, 25)),
            "distribution_method": rng.choice((None, "round_robin", "balanced")),
        }
    me = dict(world.admins[admin_ids[0]])
    # /me's admin_with_app avatar is {type, image_url} in the spec and in real answers
    me["avatar"] = {"type": "avatar", "image_url": (me.get("avatar") or {}).get("image_url")}
    me["email_verified"] = True
    me["app"] = world.app
    world.me = me

    for position in range(knobs["tags"]):
        tag_id = world.new_numeric_id("tag")
        base = r.TAG_NAMES[position % len(r.TAG_NAMES)]
        name = base if position < len(r.TAG_NAMES) else f"{base} {position}"
        world.tags[tag_id] = {
            "type": "tag",
            "id": tag_id,
            "name": name,
            "applied_at": None,
            "applied_by": None,
        }
    for position in range(knobs["segments"]):
        segment_id = world.new_numeric_id("segment")
        base = r.SEGMENT_NAMES[position % len(r.SEGMENT_NAMES)]
        created = app_created + rng.randrange(0, 60 * DAY)
        world.segments[segment_id] = {
            "type": "segment",
            "id": segment_id,
            "name": base if position < len(r.SEGMENT_NAMES) else f"{base} {position}",
            "created_at": created,
            "updated_at": created + rng.randrange(0, 30 * DAY),
            "person_type": rng.choice(("user", "contact")),
        }  # `count` only with include_count=true (routes_lookups adds it)
    _ticket_types(world, rng, app_created)
    _data_attributes(world, rng, app_created)


def _ticket_types(world: World, rng: random.Random, created: int) -> None:
    labels = {
        "submitted": ("Submitted", "Submitted"),
        "in_progress": ("In progress", "We're on it"),
        "waiting_on_customer": ("Waiting on customer", "Awaiting your reply"),
        "resolved": ("Resolved", "Resolved ✅"),
    }
    default_states = {}
    for category in r.TICKET_CATEGORIES:
        default_states[category] = _ticket_state(world, category, *labels[category], created)
    engineering = _ticket_state(
        world, "in_progress", "Waiting on engineering 🛠", "In progress", created
    )
    _ticket_state(world, "resolved", "Won't fix (old)", "Closed", created, archived=True)
    categories = ("Customer", "Back-office", "Tracker")
    names = (
        "Bug report 🐞",
        "Billing request",
        "Feature request",
        "Access request",
        "Incident",
        "Refund",
        "Data export",
        "Security review",
    )
    world._states_by_type = {}
    for position in range(world.knobs["ticket_types"]):
        type_id = world.new_numeric_id("ticket_type")
        states = dict(default_states)
        if position % 2 == 1:
            states["in_progress"] = engineering
        world._states_by_type[type_id] = states
        attributes = [
            _ticket_type_attribute(world, type_id, "_default_title_", "string", 0, True, created),
            _ticket_type_attribute(
                world, type_id, "_default_description_", "string", 1, True, created
            ),
            _ticket_type_attribute(world, type_id, "Severity", "list", 2, False, created),
            _ticket_type_attribute(world, type_id, "Affected users", "integer", 3, False, created),
            _ticket_type_attribute(world, type_id, "Attachments", "files", 4, False, created),
        ]
        world.ticket_types[type_id] = {
            "type": "ticket_type",
            "id": type_id,
            "category": categories[position % len(categories)],
            "name": names[position % len(names)]
            + ("" if position < len(names) else f" {position}"),
            "description": "Tickets of this kind are handled by the support team.",
            "icon": rng.choice(("🐞", "💳", "💡", "🔑", "🚨")),
            "workspace_id": world.app["id_code"],
            # real: the full attribute objects under `data` (the spec says ticket_type_attributes)
            "ticket_type_attributes": {"type": "list", "data": attributes},
            "is_internal": categories[position % len(categories)] == "Back-office",
            "ticket_states": {
                "type": "list",
                "data": [_state_summary(s) for s in states.values()],
            },
            "archived": False,
            "created_at": created,
            "updated_at": created + rng.randrange(0, 10 * DAY),
        }
    world._ticket_type_ids = list(world.ticket_types)
    for state in world.ticket_states.values():
        state["ticket_types"]["data"] = [
            world.ticket_types[type_id]
            for type_id, states in world._states_by_type.items()
            if any(s["id"] == state["id"] for s in states.values())
        ]


def _ticket_state(
    world: World, category: str, internal: str, external: str, created: int, archived=False
) -> dict[str, Any]:
    state_id = world.new_numeric_id("ticket_state")
    state = {
        "type": "ticket_state",
        "id": state_id,
        "category": category,
        "internal_label": internal,
        "external_label": external,
        "archived": archived,
        "ticket_types": {"type": "list", "data": []},
    }
    world.ticket_states[state_id] = state
    return state


def _state_summary(state: dict) -> dict[str, Any]:
    return {k: state[k] for k in ("type", "id", "category", "internal_label", "external_label")}


def _ticket_type_attribute(
    world: World, type_id: str, name: str, data_type: str, order: int, default: bool, created: int
) -> dict[str, Any]:
    return {
        "type": "ticket_type_attribute",
        "id": world.new_numeric_id("data_attribute"),
        "workspace_id": world.app["id_code"],
        "name": name,
        "description": f"{name.strip('_')} of the ticket",
        "data_type": data_type,
        "input_options": {"list_options": [{"label": "low"}, {"label": "high"}]}
        if data_type == "list"
        else {},
        "order": order,
        "required_to_create": default,
        "required_to_create_for_contacts": False,
        "visible_on_create": True,
        "visible_to_contacts": default,
        "default": default,
        "ticket_type_id": int(type_id),
        "archived": False,
        "created_at": created,
        "updated_at": created,
    }


def _data_attributes(world: World, rng: random.Random, created: int) -> None:
    for model, name, full_name, label, data_type, api_writable in r.STANDARD_ATTRIBUTES:
        world.data_attributes[model].append(
            {
                "type": "data_attribute",
                "model": model,
                "name": name,
                "full_name": full_name,
                "label": label,
                "description": f"The {label.lower()} of the {model}",
                "data_type": data_type,
                "api_writable": api_writable,
                "messenger_writable": model == "contact" and api_writable,
                "ui_writable": api_writable,
                "custom": False,
                "archived": False,
            }
        )
    custom_sets = (
        ("contact", r.CONTACT_CUSTOM_ATTRIBUTES, ()),
        ("company", r.COMPANY_CUSTOM_ATTRIBUTES, ()),
        ("contact", (), (r.ARCHIVED_CONTACT_ATTRIBUTE,)),
        ("conversation", r.CONVERSATION_CUSTOM_ATTRIBUTES, ()),
    )
    for model, live, archived in custom_sets:
        for definition, is_archived in [(d, False) for d in live] + [(d, True) for d in archived]:
            at = created + rng.randrange(0, 20 * DAY)
            ops.add_custom_attribute(
                world, model, definition, at, archived_at=at + DAY if is_archived else None
            )


# -- big entities ------------------------------------------------------------------------------
def _companies(world, rng, begin, end, clusters) -> list[str]:
    segment_ids = list(world.segments)
    tag_ids = list(world.tags)
    for created_at in _sorted_times(rng, world.knobs["companies"], begin, end):
        company = factory.build_company(world, rng, created_at)
        for tag_id in rng.sample(tag_ids, min(len(tag_ids), rng.choice((0, 0, 1, 2, 3)))):
            company["tags"]["tags"].append(r.tag_basic(world.tags[tag_id]))
        for segment_id in rng.sample(segment_ids, min(len(segment_ids), rng.choice((0, 1, 2)))):
            company["segments"]["segments"].append(world.segments[segment_id])
        company["updated_at"] = clusters.pick(created_at, clusters.natural(created_at, end))
        if "last_request_at" in company:  # left out when unset, as real workspaces do
            company["last_request_at"] = min(company["last_request_at"], company["updated_at"])
        world.companies.put(company)
    return list(world.companies.ids())


_CONTACT_TIME_FIELDS = (
    "last_seen_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "android_last_seen_at",
    "ios_last_seen_at",
)


def _contacts(world, rng, begin, end, clusters, company_ids: list[str]) -> None:
    knobs = world.knobs
    tag_ids = list(world.tags)
    segment_ids = list(world.segments)
    heavy = knobs["heavy_contacts"]
    for position, created_at in enumerate(_sorted_times(rng, knobs["contacts"], begin, end)):
        is_heavy = position < heavy
        role = "user" if is_heavy or rng.random() < 0.7 else "lead"
        contact = factory.build_contact(world, rng, created_at, role)
        updated_at = clusters.pick(created_at, clusters.natural(created_at, end))
        contact["updated_at"] = updated_at
        for key in _CONTACT_TIME_FIELDS:
            if contact[key] is not None:
                contact[key] = min(contact[key], updated_at)
        if is_heavy:
            n_companies = min(len(company_ids), rng.randrange(11, 26))
            n_tags = min(len(tag_ids), rng.randrange(11, 21))
        else:
            n_companies = (
                rng.choice((0, 1, 1, 1, 2, 3)) if role == "user" else rng.choice((0, 0, 1))
            )
            n_tags = rng.choice((0, 0, 1, 1, 2, 3))
        if company_ids:
            for company_id in rng.sample(company_ids, min(n_companies, len(company_ids))):
                ops.link_company_items(contact, company_id)
        for tag_id in rng.sample(tag_ids, n_tags):
            applied = rng.randrange(created_at, updated_at + 1)
            ops.tag_record_items(contact, tag_id, applied, rng.choice(world._admin_ids))
        contact["_segment_ids"] = rng.sample(
            segment_ids, min(len(segment_ids), rng.choice((0, 1, 2)))
        )
        if rng.random() < 0.1 or is_heavy:
            for _ in range(rng.randrange(1, 14 if is_heavy else 3)):
                _initial_note(world, rng, contact, updated_at)
        ops.add_contact(world, contact)


def _initial_note(world, rng, contact: dict, at_most: int) -> None:
    note_id = world.new_numeric_id("note")
    world.notes[note_id] = {
        "type": "note",
        "id": note_id,
        "created_at": rng.randrange(contact["created_at"], at_most + 1),
        "contact": {"type": "contact", "id": contact["id"]},
        "author": world.admins[rng.choice(world._admin_ids)],
        "body": f"<p>{rng.choice(r.SENTENCES)}</p>",
    }
    world._contact_notes.setdefault(contact["id"], []).append(note_id)
    contact["notes"]["data"].append(r.list_ref("note", note_id))
    contact["notes"]["total_count"] = len(contact["notes"]["data"])


def _company_user_counts(world) -> None:
    for company_id, members in world._company_contacts.items():
        company = ops.editable(world.companies, company_id)
        company["user_count"] = len(members)
        world.companies.put(company)


def _part_count(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.1:
        return 0
    if roll < 0.97:
        return int(rng.expovariate(1 / 7)) + 1
    if roll < 0.999:
        return rng.randrange(30, 200)
    return rng.randrange(501, 560)


def _conversations(world, rng, begin, end, clusters) -> None:
    knobs = world.knobs
    contact_ids = world.contacts.ids()
    if not contact_ids:
        return
    times = _sorted_times(rng, knobs["conversations"], begin, end)
    contact_times: dict[str, list] = {}
    for position, created_at in enumerate(times):
        n_contacts = 1 if rng.random() < 0.9 else rng.randrange(2, 4)
        contacts = [world.contacts.get(rng.choice(contact_ids)) for _ in range(n_contacts)]
        contacts = list({c["id"]: c for c in contacts}.values())
        n_parts = knobs["max_parts"] if position == 0 else _part_count(rng)
        conversation = factory.build_conversation(world, rng, created_at, contacts)
        gap_mean = max(60, min(4 * 3600, (end - created_at) // (n_parts + 1)))
        at = created_at
        parts = conversation["conversation_parts"]["conversation_parts"]
        snooze_end = None
        for _ in range(n_parts):
            at += 1 + int(rng.expovariate(1 / gap_mean))
            if snooze_end is not None and snooze_end < min(at, end):
                parts.append(_timer_unsnooze(world, snooze_end))  # the snooze ran out first
                conversation["state"], snooze_end = "open", None
            if at >= end:
                break
            part = factory.next_conversation_part(world, rng, conversation, at, contacts)
            parts.append(part)
            _apply_part_fast(conversation, part)
            snooze_end = conversation["_snoozes"].get(part["id"], snooze_end)
            if conversation["state"] != "snoozed":
                snooze_end = None
        if snooze_end is not None and snooze_end < end:
            parts.append(_timer_unsnooze(world, snooze_end))
            conversation["state"] = "open"
        last = parts[-1]["created_at"] if parts else created_at
        if conversation["state"] != "closed" and last < end - 3 * DAY and rng.random() < 0.85:
            # Old conversations are mostly finished: an admin replied and closed them.
            parts.extend(_wrap_up(world, rng, last, end))
        derive_conversation(conversation)
        last = parts[-1]["created_at"] if parts else created_at
        last = _maybe_rate(rng, conversation, contacts, last, end)
        for tag_id in rng.sample(list(world.tags), rng.choice((0, 0, 0, 1, 2))):
            conversation["tags"]["tags"].append(
                {
                    "type": "tag",
                    "id": tag_id,
                    "name": world.tags[tag_id]["name"],
                    "applied_at": last,
                    "applied_by": {"type": "admin", "id": world._admin_ids[0]},
                }
            )
        conversation["updated_at"] = clusters.pick(last, last)
        ops.add_conversation(world, conversation)
        for source_only in (None, parts):
            found = ops.conversation_contact_times(conversation, source_only)
            for contact_id, (replied, contacted) in found.items():
                slot = contact_times.setdefault(contact_id, [None, None])
                slot[0] = max(filter(None, (slot[0], replied)), default=None)
                slot[1] = max(filter(None, (slot[1], contacted)), default=None)
    for contact_id, (replied, contacted) in contact_times.items():
        ops.bump_contact_times(world, contact_id, replied, contacted)


def _maybe_rate(rng, conversation: dict, contacts: list[dict], last: int, end: int) -> int:
    """Rate some closed, answered conversations; returns the conversation's last change time."""
    answered = conversation["statistics"]["first_admin_reply_at"] is not None
    if conversation["state"] != "closed" or not answered:
        return last
    if rng.random() >= 0.4 or last + 600 >= end:
        return last
    rated = last + rng.randrange(1, 600)
    conversation["conversation_rating"] = {
        "rating": rng.randrange(1, 6),
        "remark": rng.choice(r.REMARKS) if rng.random() < 0.6 else None,
        "created_at": rated,
        "updated_at": rated,
        "contact": r.contact_reference(contacts[0]),
        "teammate": {"type": "admin", "id": conversation["statistics"]["last_closed_by_id"]},
    }
    return rated


def _wrap_up(world, rng: random.Random, last: int, end: int) -> list[dict]:
    admin = world.admins[rng.choice(world._admin_ids)]
    reply_at = last + rng.randrange(60, 6 * 3600)
    close_at = reply_at + rng.randrange(1, 3600)
    return [
        r.conversation_part(
            id=world.new_numeric_id("part"),
            part_type="comment",
            author=r.admin_author(admin),
            created_at=reply_at,
            body=r.html_body(rng),
        ),
        r.conversation_part(
            id=world.new_numeric_id("part"),
            part_type="close",
            author=r.admin_author(admin),
            created_at=close_at,
        ),
    ]


def _timer_unsnooze(world, at: int) -> dict:
    return r.conversation_part(
        id=world.new_numeric_id("part"),
        part_type="timer_unsnooze",
        author=dict(factory.BOTS[0]),
        created_at=at,
    )


def _apply_part_fast(conversation: dict, part: dict) -> None:
    """Track state while building history, without full re-derivation per part."""
    part_type = part["part_type"]
    if part_type == "close":
        conversation["state"] = "closed"
    elif part_type == "snoozed":
        conversation["state"] = "snoozed"
    elif part_type in OPENING_PART_TYPES or (
        part_type == "comment" and part["author"]["type"] in r.CONTACT_AUTHOR_TYPES
    ):
        conversation["state"] = "open"


def _tickets(world, rng, begin, end, clusters) -> None:
    contact_ids = world.contacts.ids()
    if not contact_ids:
        return
    for created_at in _sorted_times(rng, world.knobs["tickets"], begin, end):
        contact_id = rng.choice(contact_ids)
        link = rng.random() < 0.4  # escalated from a conversation: same contact, linked
        if link and len(world.conversations):
            head = world.conversations.get_head(world.conversations.random_id(rng))
            if head["contacts"]["contacts"] and head["created_at"] <= created_at:
                contact_id = head["contacts"]["contacts"][0]["id"]
        contacts = [world.contacts.get(contact_id)]
        ticket = factory.build_ticket(world, rng, created_at, contacts)
        at = last = created_at
        new_parts = []
        for _ in range(rng.choice((0, 1, 2, 3, 5, 8, 13))):
            at += 1 + int(rng.expovariate(1 / (6 * 3600)))
            if at >= end:
                break
            new_parts.append(
                factory.next_ticket_part(world, rng, ticket, at, change_state=rng.random() < 0.35)
            )
            last = at
        ticket["ticket_parts"]["ticket_parts"].extend(new_parts)
        derive_ticket(ticket, world.ticket_states)
        ticket["updated_at"] = clusters.pick(last, last)
        if link:
            ops.link_ticket_to_conversation(world, ticket, created_at)
        ops.add_ticket(world, ticket)


def _history_tail(world, rng, end) -> None:
    """A few merges and deletions shortly before ``start_time`` so tombstone feeds start non-empty."""

    for _ in range(2):
        pair = pick_lead_and_user(world, rng)
        if pair:
            ops.merge_contacts(world, pair[0], pair[1], end - rng.randrange(60, DAY // 2))
    conversation_ids = world.conversations.ids()
    for conversation_id in rng.sample(
        list(conversation_ids[1:]), min(2, len(conversation_ids) - 1)
    ):
        at = max(world.conversations.updated_at(conversation_id), end - rng.randrange(60, DAY // 2))
        ops.delete_conversation(world, conversation_id, at, rng.random() < 0.5)
