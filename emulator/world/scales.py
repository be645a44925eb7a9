"""Named world sizes and activity rates.

A scale fixes how many records of each entity the initial world holds. ``WorldConfig.counts``
overrides any of these per entity (e.g. ``{"contacts": 50}``); unknown keys are rejected.

Knobs per scale:
    admins, teams, tags, segments, ticket_types  small lookup lists
    contacts, companies, conversations, tickets  the big stores
    history_days      how far before ``start_time`` the oldest record was created
    max_parts         the longest conversation's part count (tiny keeps one > 500 on purpose)
    heavy_contacts    contacts given > 10 companies and > 10 tags (so ``has_more`` matters)
    subscription_types  the workspace's subscription types (emulator.world.content; more
                      than 10 of a consent type gives a contact a ``has_more`` consent list)
    storage           how Stores keep records: "dict" (fastest get), "json" (orjson bytes),
                      "zjson" (zlib-compressed orjson bytes, for ``large`` within 3 GB)
"""

from __future__ import annotations

from typing import Any

SCALES: dict[str, dict[str, Any]] = {
    "tiny": {
        "admins": 8,
        "teams": 3,
        "tags": 16,
        "segments": 6,
        "ticket_types": 3,
        "contacts": 300,
        "companies": 40,
        "conversations": 40,
        "tickets": 15,
        "history_days": 60,
        "max_parts": 620,
        "heavy_contacts": 3,
        "subscription_types": 3,
        "storage": "dict",
    },
    "small": {
        "admins": 20,
        "teams": 5,
        "tags": 40,
        "segments": 12,
        "ticket_types": 4,
        "contacts": 5_000,
        "companies": 1_000,
        "conversations": 2_500,
        "tickets": 250,
        "history_days": 180,
        "max_parts": 700,
        "heavy_contacts": 10,
        "subscription_types": 6,
        "storage": "dict",
    },
    "medium": {
        "admins": 60,
        "teams": 10,
        "tags": 120,
        "segments": 30,
        "ticket_types": 6,
        "contacts": 100_000,
        "companies": 20_000,
        "conversations": 50_000,
        "tickets": 5_000,
        "history_days": 365,
        "max_parts": 900,
        "heavy_contacts": 50,
        "subscription_types": 12,
        "storage": "json",
    },
    "large": {
        "admins": 150,
        "teams": 20,
        "tags": 300,
        "segments": 60,
        "ticket_types": 8,
        "contacts": 1_000_000,
        "companies": 200_000,
        "conversations": 250_000,
        "tickets": 25_000,
        "history_days": 730,
        "max_parts": 1_200,
        "heavy_contacts": 200,
        "subscription_types": 18,
        "storage": "zjson",
    },
}

ENTITY_COUNT_KEYS = (
    "admins",
    "teams",
    "tags",
    "segments",
    "ticket_types",
    "contacts",
    "companies",
    "conversations",
    "tickets",
)


def resolve_scale(scale: str, counts: dict[str, Any] | None) -> dict[str, Any]:
    """The effective knobs for ``scale`` with ``counts`` applied on top."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    knobs = dict(SCALES[scale])
    for key, value in (counts or {}).items():
        if key not in knobs:
            raise ValueError(f"unknown count {key!r}; known: {sorted(knobs)}")
        knobs[key] = value
    for key in ("admins", "teams", "tags", "segments", "ticket_types"):
        if knobs[key] < 1:
            raise ValueError(f"{key} must be >= 1")
    return knobs


# Expected events per simulated day, as a fraction of the entity's current size (with a floor so
# tiny worlds still see every kind of change within a day). Used by emulator.world.activity.
DAILY_RATES: dict[str, tuple[float, float]] = {
    # kind: (fraction of base population per day, minimum per day)
    "contact_created": (0.02, 6),
    "contact_updated": (0.05, 12),
    "contact_updated_twice": (0.005, 2),
    "contact_bulk_update": (0.00002, 1),
    "contact_converted": (0.002, 1),
    "contact_tag_changed": (0.01, 4),
    "contact_company_changed": (0.01, 4),
    "contact_note_added": (0.004, 2),
    "contact_merged": (0.002, 2),
    "company_created": (0.01, 2),
    "company_updated": (0.03, 4),
    "company_tag_changed": (0.01, 2),
    "conversation_created": (0.03, 6),
    "conversation_part_added": (0.25, 30),
    "conversation_part_redacted": (0.001, 1),
    "conversation_bulk_close": (0.0, 1),
    "conversation_tag_changed": (0.01, 3),
    "conversation_rated": (0.01, 2),
    "conversation_deleted": (0.002, 1),
    "ticket_created": (0.03, 2),
    "ticket_state_changed": (0.1, 4),
    "ticket_part_added": (0.1, 4),
    "tag_created": (0.002, 1),
    "admin_created": (0.0, 1),
    "segment_updated": (0.01, 1),
}
