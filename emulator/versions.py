"""API versions: which version a request asks for, and how a canonical 2.16 record looks in it.

The world stores every record once, as Intercom 2.16 returns it (with complete embedded lists
and all parts). This module derives the shape a client of another version sees. Only the
differences that matter for an extractor are modelled (API-NOTES §6); every version ≤ 2.15 is
served with 2.9 shapes except tickets (2.10+: search, `category`/`open`/`snoozed_until`;
2.12+: `ticket_state` object). `Preview` gets 2.16 shapes; its search semantics (contact dates
to the second, `>=`/`<=`) come from emulator.search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any

from emulator.errors import version_invalid
from emulator.world.records import PART_WINDOW

PREVIEW = "Preview"  # the unstable version (formerly "Unstable"); exact spelling only
# Every exact `Intercom-Version` string Intercom accepts.
KNOWN_VERSIONS: tuple[str, ...] = (
    "1.0",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    *(f"2.{minor}" for minor in range(17)),
    PREVIEW,
)
_PREVIEW_NUMBER = (99, 0)  # newer than every stable version: served with 2.16 shapes

EMBEDDED_LIST_LIMIT = 10  # contact tags/notes/companies embedded in the contact

# Fields each version family lacks, as (first version that has them). Three families of shapes
# (issue 17): 2.9 (and older), 2.10–2.15 (real 2.11 captures: `ai_agent*`, `linked_objects`,
# `topics`, `ticket` already there; checked against the 2.15 spec) and 2.16. `custom_attributes`
# on conversations is kept everywhere: real 2.9 responses carry it although the 2.9 schema
# omits it (API-NOTES §7.9).
_V210 = (2, 10)
_V215 = (2, 15)
_V216 = (2, 16)
_SINCE: dict[str, dict[str, tuple[int, int]]] = {
    "admin": {"away_status_reason_id": _V210, "role": _V216},
    "team": {"assignment_limit": _V210, "distribution_method": _V210},
    "ticket_type": {"category": _V210, "ticket_states": _V210},
    "contact": {"merge_history": _V216, "email_domain": _V216, "enabled_push_messaging": _V216},
    "company": {"notes": _V216},
    "conversation": {
        "ai_agent": _V210,
        "ai_agent_participated": _V210,
        "linked_objects": _V210,
        "topics": _V210,
        "ticket": _V210,
        "company": _V215,  # API-NOTES §6; the 2.15 schema has it
        "channel": _V216,
        "external_references": _V216,
        "sales_agent": _V216,
        "sales_agent_participated": _V216,
    },
    "conversation_part": {
        "app_package_code": _V210,
        "email_message_metadata": _V210,
        "event_details": _V210,
        "metadata": _V210,
        "state": _V210,
        "tags": _V210,
        "translations": _V216,
    },
    "conversation_source": {
        "email_message_metadata": _V216,
        "recipients": _V216,
        "reply_to": _V216,
    },
    "conversation_statistics": {
        "adjusted_handling_time": _V210,
        "assigned_team_first_response_time": _V210,
        "assigned_team_first_response_time_in_office_hours": _V210,
        "handling_time": _V210,
    },
    "conversation_rating": {"updated_at": _V216},
    "ticket": {
        "category": _V210,
        "open": _V210,
        "snoozed_until": _V210,
        "linked_objects": _V210,
        "previous_ticket_state_id": _V216,
        "channel": _V216,
    },
    "ticket_part": {"app_package_code": _V210, "updated_attribute_data": _V210},
    "note": {"company": _V216},
}


def _absent_in(kind: str, number: tuple[int, int]) -> tuple[str, ...]:
    """The fields of `kind` a version lacks (memoised: a handful of (kind, version) pairs)."""
    key = (kind, number)
    absent = _ABSENT.get(key)
    if absent is None:
        absent = _ABSENT[key] = tuple(f for f, since in _SINCE[kind].items() if number < since)
    return absent


_ABSENT: dict[tuple[str, tuple[int, int]], tuple[str, ...]] = {}


@dataclass(frozen=True)
class ApiVersion:
    """A requested version plus the shape family it is served with."""

    name: str  # exactly what the client sent, e.g. "2.13"
    number: tuple[int, int]

    @property
    def modern(self) -> bool:
        """2.16 shapes and behaviour (string owner_id, priority levels, 0 = unassigned, 410)."""
        return self.number >= (2, 16)

    @property
    def has_tickets_search(self) -> bool:
        return self.number >= (2, 10)

    @property
    def ticket_state_object(self) -> bool:
        return self.number >= (2, 12)

    @property
    def shape(self) -> str:
        """Cache key for rendered records: versions with identical shapes share it."""
        if self.modern:
            return "2.16"
        if self.number >= _V215:
            return "2.15"
        if self.ticket_state_object:
            return "2.12"
        if self.has_tickets_search:
            return "2.10"
        return "2.9"


_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")


def parse_version(header: str | None, default: str) -> ApiVersion:
    """The version of a request: the exact header value, else the app's default."""
    name = default if header is None else header
    if name not in KNOWN_VERSIONS:
        raise version_invalid(f"The requested version could not be found: {name}")
    if name == PREVIEW:
        return ApiVersion(name, _PREVIEW_NUMBER)
    match = _VERSION_RE.match(name)
    assert match is not None  # every other known version matches
    return ApiVersion(name, (int(match.group(1)), int(match.group(2))))


# ---------------------------------------------------------------------------------------------
# Rendering canonical 2.16 records


# key layout of a record -> its internal keys: records of one kind share a handful of layouts,
# so `_public` copies at C speed instead of testing every key (bounded: cleared when large)
_INTERNAL_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy without internal (`_`-prefixed) keys."""
    layout = tuple(record)
    internal = _INTERNAL_KEYS.get(layout)
    if internal is None:
        if len(_INTERNAL_KEYS) > 1024:
            _INTERNAL_KEYS.clear()
        internal = _INTERNAL_KEYS[layout] = tuple(k for k in layout if k.startswith("_"))
    out = dict(record)
    for key in internal:
        del out[key]
    return out


def _drop(obj: dict[str, Any] | None, kind: str, version: ApiVersion) -> None:
    """Remove in place the fields of `kind` that `version` does not have."""
    if obj:
        for key in _absent_in(kind, version.number):
            obj.pop(key, None)


def truncate_embedded_lists(record: dict[str, Any]) -> None:
    """Embedded `{"type":"list","data":[…],"has_more":…}` lists keep their first 10 items."""
    changed: list[tuple[str, dict[str, Any]]] = []
    for key, value in record.items():
        if not isinstance(value, dict) or "has_more" not in value:
            continue
        items = value.get("data")
        if value.get("type") != "list" or not isinstance(items, list):
            continue
        count = len(items)
        if count <= EMBEDDED_LIST_LIMIT and value["has_more"] is False:
            total = value.get("total_count")
            if type(total) is int and total == count:  # not True/1.0: those re-serialise
                continue  # already what the rebuild below would produce (same keys, order)
        truncated = {
            **value,
            "data": items[:EMBEDDED_LIST_LIMIT],
            "total_count": count,
            "has_more": count > EMBEDDED_LIST_LIMIT,
        }
        changed.append((key, truncated))
    for key, truncated in changed:  # replaced after the loop: never edit a dict being iterated
        record[key] = truncated


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


Renderer = Callable[[dict[str, Any], ApiVersion], dict[str, Any]]


def _dropping_newer_fields(kind: str) -> Renderer:
    """A renderer for records whose only version difference is the fields older ones lack."""

    def render(record: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
        out = _public(record)
        if not version.modern:
            _drop(out, kind, version)
        return out

    return render


render_admin = _dropping_newer_fields("admin")
render_team = _dropping_newer_fields("team")
render_ticket_type = _dropping_newer_fields("ticket_type")
render_note = _dropping_newer_fields("note")
render_company = _dropping_newer_fields("company")


def render_plain(record: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """Tags, segments, data attributes: same shape in every version."""
    return _public(record)


def render_contact(record: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    out = _public(record)
    out.pop("merge_history", None)  # only with include_merge_history=true (added by the route)
    truncate_embedded_lists(out)
    if not version.modern:
        _drop(out, "contact", version)
        # (a spliced render passes only the record's tail here: `owner_id` is in its head)
        if "owner_id" in out:
            out["owner_id"] = _int_or_none(out["owner_id"])
    return out


def legacy_priority(priority: str | None) -> str | None:
    """≤2.15 only knows priority|not_priority: any 2.16 level other than "none" is a priority
    (API-NOTES §6). Used for rendering and for pre-2.16 search alike."""
    if priority is None:
        return None
    return "not_priority" if priority in ("none", "not_priority") else "priority"


def _render_parts(
    out: dict[str, Any], key: str, kind: str, version: ApiVersion, *, with_parts: bool
) -> None:
    """Replace `out[key]` (`{key: [parts…], …}`) by its newest 500 rendered parts, or drop it."""
    parts_obj = out.get(key)
    if not with_parts:
        out.pop(key, None)
        return
    if not isinstance(parts_obj, dict):
        return
    parts = parts_obj.get(key) or []
    newest = parts[-PART_WINDOW:]  # parts are chronological; Intercom keeps the newest 500
    rendered = [_public(p) for p in newest]
    if not version.modern:
        for part in rendered:
            _drop(part, kind, version)
    out[key] = {**parts_obj, key: rendered, "total_count": len(parts)}


def render_conversation(
    record: dict[str, Any], version: ApiVersion, *, with_parts: bool = True
) -> dict[str, Any]:
    out = _public(record)
    _render_parts(out, "conversation_parts", "conversation_part", version, with_parts=with_parts)
    if not version.modern:
        _drop(out, "conversation", version)
        if out.get("priority") is not None:
            out["priority"] = legacy_priority(out["priority"])
        for key in ("admin_assignee_id", "team_assignee_id"):
            if key in out:
                out[key] = _int_or_none(out[key]) or None  # 0 means unassigned → null
        for key, kind in (
            ("source", "conversation_source"),
            ("statistics", "conversation_statistics"),
            ("conversation_rating", "conversation_rating"),
        ):
            if isinstance(out.get(key), dict):
                out[key] = dict(out[key])
                _drop(out[key], kind, version)
    return out


def render_ticket(
    record: dict[str, Any], version: ApiVersion, *, with_parts: bool = True
) -> dict[str, Any]:
    out = _public(record)
    _render_parts(out, "ticket_parts", "ticket_part", version, with_parts=with_parts)
    if version.modern:
        return out
    _drop(out, "ticket", version)
    for key in ("admin_assignee_id", "team_assignee_id"):
        if key in out:
            # ≤2.15 types these as (non-nullable) strings; unassigned is "0".
            out[key] = str(out[key] if out[key] is not None else 0)
    state = out.get("ticket_state")
    if not version.ticket_state_object and isinstance(state, dict):
        out["ticket_state"] = state.get("category")
        out["ticket_state_internal_label"] = state.get("internal_label")
        out["ticket_state_external_label"] = state.get("external_label")
    return out


# ---------------------------------------------------------------------------------------------
# display_as=plaintext

_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_plaintext(html: str | None, *, links_with_urls: bool) -> str | None:
    """Plain text of an HTML body; 2.16 keeps links as `label (url)`."""
    if html is None:
        return None
    text = _LINK.sub(
        (lambda m: f"{m.group(2)} ({m.group(1)})") if links_with_urls else (lambda m: m.group(2)),
        html,
    )
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    return unescape(text).strip()


def plaintext_conversation(out: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """Apply `display_as=plaintext` to a rendered conversation (source and part bodies)."""
    links = version.modern
    source = out.get("source")
    if isinstance(source, dict):
        out["source"] = {
            **source,
            "body": html_to_plaintext(source.get("body"), links_with_urls=links),
            "subject": html_to_plaintext(source.get("subject"), links_with_urls=links),
        }
    parts_obj = out.get("conversation_parts")
    if isinstance(parts_obj, dict):
        out["conversation_parts"] = {
            **parts_obj,
            "conversation_parts": [
                {**p, "body": html_to_plaintext(p.get("body"), links_with_urls=links)}
                for p in parts_obj.get("conversation_parts", [])
            ],
        }
    return out
