"""The benchmark scenarios: which world, which server settings, which sync runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sources.intercom.content import BY_NAME
from sources.intercom.settings import AUDIT_RESOURCES, CONTENT_RESOURCES, DEFAULT_API_VERSION

# What the real Intercom allows: 10,000 requests per minute, enforced per 10-second window.
INTERCOM_RATE_LIMIT = 1666
WINDOW_S = 10
# The content lists the bench's API version (the default) has: asking for one it lacks
# (`help_center_sections`, gone from 2.10) fails the run.
CONTENT = tuple(n for n in CONTENT_RESOURCES if BY_NAME[n].available_in(DEFAULT_API_VERSION))
GROUPS = (
    "lookups",
    "contacts",
    "companies",
    "conversations",
    "tickets",
    "content",
    "segment_members",
)
LOOKUPS = "admins,teams,tags,segments,data_attributes,ticket_types"
# Resource group -> (`--resources` value, root tables whose rows count as its records)
GROUP_RESOURCES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "lookups": (
        LOOKUPS,
        ("admins", "teams", "tags", "segments", "data_attributes", "ticket_types"),
    ),
    "contacts": ("contacts", ("contacts",)),
    "companies": ("companies", ("companies",)),
    "conversations": ("conversations", ("conversations",)),
    "tickets": ("tickets", ("tickets",)),
    "content": (",".join(CONTENT + AUDIT_RESOURCES), CONTENT + AUDIT_RESOURCES),
    "segment_members": ("contacts__segments", ("contacts__segments",)),
    "all": (None, ("contacts", "companies", "conversations", "tickets")),
    "no-change": (None, ("contacts", "companies", "conversations", "tickets")),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    scale: str
    quick_scale: str
    steps: tuple[str, ...]  # GROUP_RESOURCES keys, run in order against one pipeline
    rate_limit: int | None = None  # per 10 s window; None = unlimited
    latency_ms: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    quick_counts: dict[str, int] = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "local",
            "(a) local ceiling: no latency, no rate limit, one sync per entity, then a no-change run",
            scale="medium",
            quick_scale="tiny",
            steps=(*GROUPS, "no-change"),
        ),
        Scenario(
            "realistic",
            "(b) 150 ms latency per request, Intercom's rate limit (1,666 per 10 s), one full sync",
            scale="small",
            quick_scale="tiny",
            steps=("all",),
            rate_limit=INTERCOM_RATE_LIMIT,
            latency_ms=150.0,
            counts={"contacts": 30_000, "conversations": 8_000},
        ),
        Scenario(
            "scale",
            "(c) memory at scale: the large world (1M contacts), contacts and companies",
            scale="large",
            quick_scale="small",
            steps=("contacts", "companies"),
        ),
        Scenario(
            "incremental",
            "(d) a full sync, then a run with no change in between",
            scale="small",
            quick_scale="tiny",
            steps=("all", "no-change"),
        ),
    )
}
