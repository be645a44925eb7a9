"""Builders for canonical Intercom 2.16 records, shared by initial generation and activity.

Every builder takes an explicit ``random.Random`` so the world stays deterministic. Text pools
carry unicode and emoji on purpose (names, bodies, custom attribute values and even one custom
attribute name), because real workspaces do.
"""

from __future__ import annotations

import random
from typing import Any

# --- text pools -------------------------------------------------------------------------------
FIRST_NAMES = (
    "Ada",
    "Zoë",
    "José",
    "Björn",
    "Łukasz",
    "Søren",
    "Chloé",
    "Renée",
    "Mía",
    "Ольга",
    "Дмитрий",
    "李娜",
    "王伟",
    "さくら",
    "太郎",
    "محمد",
    "فاطمة",
    "Αλέξανδρος",
    "Ngozi",
    "Aarav",
    "Siobhán",
    "Nguyễn",
    "Jürgen",
    "François",
    "Maëlys",
    "Kwame",
    "Priya",
    "Tomás",
    "Ewa",
    "Liam",
)
LAST_NAMES = (
    "O'Brien",
    "Müller",
    "García",
    "Kowalski",
    "Ødegaard",
    "Smith",
    "Nakamura",
    "Иванова",
    "张",
    "Haddad",
    "Papadopoulos",
    "Okafor",
    "Sharma",
    "Dubois",
    "Nguyen",
    "Silva",
    "Andersson",
    "van der Berg",
    "Łęcka",
    "Chen-Wong",
    "D'Angelo",
    "Jones",
)
EMOJI = ("🚀", "🎉", "🙂", "🔥", "✅", "❤️", "👩🏽‍💻", "🇧🇷", "😅", "🦄")
COMPANY_WORDS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Straße",
    "Café",
    "Nordlys",
    "Dragon 龍",
    "Zenith",
    "Piñata",
    "Kraków",
    "Orbit",
    "Blåbær",
    "Lumière",
    "Sakura さくら",
    "Vertex",
    "Atlas",
)
COMPANY_SUFFIXES = ("Inc.", "GmbH", "Ltd", "SAS", "K.K.", "S.A.", "LLC", "AB", "Sp. z o.o.", "")
INDUSTRIES = ("Software", "Retail", "Fintech", "Healthcare", "Education", "Logistics", "Gaming")
PLANS = (("269315", "Pro"), ("269316", "Premium"), ("269317", "Starter"), ("269318", "Enterprise"))
DOMAINS = ("example.com", "example.org", "mail.example.net", "exämple.de", "corp.example.io")
CITIES = (
    ("United States", "California", "San Francisco"),
    ("Ireland", "Dublin", "Dublin"),
    ("Germany", "Bayern", "München"),
    ("Japan", "Tokyo", "東京"),
    ("Brazil", "São Paulo", "São Paulo"),
    ("Poland", "Małopolskie", "Kraków"),
    ("Egypt", "Cairo", "القاهرة"),
    (None, None, None),
)
# country -> (country_code, continent_code) of contact locations (captures carry both)
COUNTRY_CODES = {
    "United States": ("US", "NA"),
    "Ireland": ("IE", "EU"),
    "Germany": ("DE", "EU"),
    "Japan": ("JP", "AS"),
    "Brazil": ("BR", "SA"),
    "Poland": ("PL", "EU"),
    "Egypt": ("EG", "AF"),
}
# Company keys real workspaces leave out when unset (captures).
OPTIONAL_COMPANY_KEYS = ("size", "website", "industry", "last_request_at", "remote_created_at")
# Conversation topics (2.11+): the choices a conversation draws from (often none).
TOPIC_CHOICES: tuple[tuple[dict[str, Any], ...], ...] = (
    (),
    (),
    ({"type": "topic", "id": 7001, "name": "Billing"},),
    ({"type": "topic", "id": 7002, "name": "Login problems"},),
    (
        {"type": "topic", "id": 7001, "name": "Billing"},
        {"type": "topic", "id": 7003, "name": "Refunds 💸"},
    ),
)
BROWSERS = (("chrome", "120.0"), ("firefox", "121.0"), ("safari", "17.2"), ("edge", "120.0"))
OSES = ("OS X 14.2", "Windows 11", "Linux", "iOS 17.2", "Android 14")
LANGUAGES = ("en", "de", "fr", "pt-BR", "ja", "pl", "ar", "es")
SENTENCES = (
    "Hi there, I can't log in since this morning.",
    "Merci beaucoup pour votre aide ! 🙏",
    "The export to CSV fails with a 500 error.",
    "¿Pueden ayudarme con la facturación?",
    "Das Dashboard lädt nicht — bitte prüfen.",
    "請問如何更改我的密碼？",
    "Thanks, that fixed it 🎉",
    "Could you refund the last invoice (#4711)?",
    'We\'re seeing "quotes" & <angle brackets> in names.',
    "Следующий шаг — интеграция с API.",
    "ログインできません。助けてください。",
    "Line one\nline two\ttabbed",
    "🔥🔥🔥 urgent 🔥🔥🔥",
    "",
)
ADMIN_JOBS = ("Support Engineer", "Customer Success", "Head of Support", "Billing Specialist", "")
TEAM_NAMES = (
    "Support Tier 1",
    "Support Tier 2",
    "Billing 💳",
    "Onboarding",
    "VIP Success",
    "Engineering",
    "Sales",
    "Trust & Safety",
    "Équipe France",
    "日本チーム",
)
TAG_NAMES = (
    "vip",
    "churn-risk",
    "beta 🧪",
    "enterprise",
    "billing issue",
    "bug",
    "feature-request",
    "onboarding",
    "NPS detractor",
    "NPS promoter",
    "Ünïcödé tag",
    "needs follow-up",
)
SEGMENT_NAMES = (
    "Active users",
    "New signups",
    "Slipping away",
    "Leads from pricing page",
    "Paying customers",
    "Trial ending ⏳",
    "EU customers",
    "Mobile users",
)
SLA_NAMES = ("VIP first response 1h", "Standard 8h", "Enterprise 30m")
# SLA name -> first-response target in seconds (emulator.world.derive turns it into sla_status).
SLA_TARGETS = {SLA_NAMES[0]: 3600, SLA_NAMES[1]: 8 * 3600, SLA_NAMES[2]: 1800}
REMARKS = ("Great help, thank you!", "Slow answer 😞", "👍", "Resolved quickly", "", "Très bien")

# --- custom attribute definitions (one of every data type, some with options) -----------------
# (name, data_type, label, description, options)
CONTACT_CUSTOM_ATTRIBUTES: tuple[tuple[str, str, str, str, list[str] | None], ...] = (
    ("plan_tier", "string", "Plan tier", "The contact's plan tier", ["free", "pro", "enterprise"]),
    ("seats", "integer", "Seats", "Seats purchased", None),
    ("lifetime_value", "float", "Lifetime value", "Revenue to date in EUR", None),
    ("is_vip", "boolean", "VIP", "Gets priority support", None),
    ("trial_ends_at", "date", "Trial ends", "End of the trial (Unix seconds)", None),
    ("favourite_emoji 🎈", "string", "Favourite emoji 🎈", "Ünïcode name on purpose", None),
    ("nps_score", "integer", "NPS score", "Latest NPS answer 0-10", None),
)
COMPANY_CUSTOM_ATTRIBUTES: tuple[tuple[str, str, str, str, list[str] | None], ...] = (
    ("account_tier", "string", "Account tier", "Commercial tier", ["smb", "mid", "ent"]),
    ("employees_band", "integer", "Employees band", "Rounded employee count", None),
    ("arr", "float", "ARR", "Annual recurring revenue", None),
    ("is_partner", "boolean", "Partner", "Reseller partner", None),
    ("renewal_date", "date", "Renewal date", "Next renewal (Unix seconds)", None),
)
# Conversation data attributes (GET /conversations/attributes in 2.16, /data_attributes
# ?model=conversation before). Real workspaces carry booleans ("Copilot used": false, from the
# captures) and decimals that arrive as JSON integers when whole (12 as well as 12.5).
CONVERSATION_CUSTOM_ATTRIBUTES: tuple[tuple[str, str, str, str, list[str] | None], ...] = (
    (
        "issue_type",
        "list",
        "Issue type",
        "What the conversation is about",
        ["Billing", "Bug", "How-to"],
    ),
    ("Priorité 🔥", "string", "Priorité 🔥", "Ünïcode name on purpose", None),
    ("Copilot used", "boolean", "Copilot used", "An agent used Copilot", None),
    ("Refund amount", "decimal", "Refund amount", "Refund granted in EUR", None),
)
# An archived custom attribute: defined in /data_attributes?include_archived=true, never set.
ARCHIVED_CONTACT_ATTRIBUTE = ("legacy_score", "integer", "Legacy score", "No longer used", None)

# Standard (non-custom) attributes: (model, name, full_name, label, data_type, api_writable)
STANDARD_ATTRIBUTES: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("contact", "name", "name", "Name", "string", True),
    ("contact", "email", "email", "Email", "string", True),
    ("contact", "phone", "phone", "Phone", "string", True),
    ("contact", "external_id", "external_id", "User ID", "string", True),
    ("contact", "role", "role", "Role", "string", False),
    ("contact", "owner_id", "owner_id", "Owner", "integer", True),
    ("contact", "created_at", "created_at", "Signed up / created", "date", False),
    ("contact", "updated_at", "updated_at", "Last updated", "date", False),
    ("contact", "signed_up_at", "signed_up_at", "Signed up", "date", True),
    ("contact", "last_seen_at", "last_seen_at", "Last seen", "date", True),
    (
        "contact",
        "unsubscribed_from_emails",
        "unsubscribed_from_emails",
        "Unsubscribed",
        "boolean",
        True,
    ),
    ("contact", "country", "location.country", "Country", "string", False),
    ("contact", "city", "location.city", "City", "string", False),
    ("contact", "language_override", "language_override", "Language override", "string", True),
    ("company", "name", "name", "Company name", "string", True),
    ("company", "company_id", "company_id", "Company ID", "string", True),
    ("company", "created_at", "created_at", "Company created", "date", False),
    ("company", "remote_created_at", "remote_created_at", "Company created (remote)", "date", True),
    ("company", "last_request_at", "last_request_at", "Company last seen", "date", False),
    ("company", "plan", "plan.name", "Plan", "string", True),
    ("company", "monthly_spend", "monthly_spend", "Monthly spend", "float", True),
    ("company", "user_count", "user_count", "User count", "integer", False),
    ("company", "size", "size", "Company size", "integer", True),
    ("company", "website", "website", "Website", "string", True),
    ("company", "industry", "industry", "Industry", "string", True),
)

# GET /conversations/{id} and /tickets/{id} return only the newest 500 parts (the renderer's
# window, and what truth marks `visible`).
PART_WINDOW = 500

# Conversation part types grouped by their effect on the conversation (see emulator.world.derive).
ASSIGNMENT_PART_TYPES = frozenset(
    {
        "assignment",
        "default_assignment",
        "away_mode_assignment",
        "assign_and_reopen",
        "assign_and_unsnooze",
    }
)
CONTACT_AUTHOR_TYPES = frozenset({"user", "lead", "contact"})
TICKET_CATEGORIES = ("submitted", "in_progress", "waiting_on_customer", "resolved")


def pick(rng: random.Random, seq):
    """``rng.choice`` without its rejection sampling: 3x faster, equally deterministic."""
    return seq[int(rng.random() * len(seq))]


def person_name(rng: random.Random) -> str:
    name = f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_NAMES)}"
    if rng.random() < 0.05:
        name += f" {pick(rng, EMOJI)}"
    return name


def slug(text: str, index: int) -> str:
    ascii_part = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
    return f"{ascii_part or 'user'}.{index}"


def html_body(rng: random.Random) -> str:
    sentence = pick(rng, SENTENCES)
    if rng.random() < 0.1:
        sentence += f" {pick(rng, EMOJI)}"
    return f"<p>{sentence}</p>"


def custom_value(rng: random.Random, data_type: str, options: list[str] | None, now: int) -> Any:
    """A random value of ``data_type``; about 15% are null, as in real workspaces."""
    if rng.random() < 0.15:
        return None
    if options:
        return pick(rng, options)
    if data_type == "string":
        return pick(rng, ("alpha", "βeta", "gamma 🚀", "", "名前", "x" * 40))
    if data_type == "integer":
        return rng.randrange(-5, 5000)
    if data_type == "float":
        return round(rng.uniform(-10, 100_000), 2)
    if data_type == "boolean":
        return rng.random() < 0.5
    if data_type == "date":
        return now + rng.randrange(-400, 400) * 86400
    if data_type == "decimal":  # whole amounts arrive as JSON integers
        return pick(rng, (0, 12, 12.5, 99.99))
    raise ValueError(data_type)


def custom_attributes(
    rng: random.Random,
    definitions: tuple[tuple[str, str, str, str, list[str] | None], ...],
    now: int,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, data_type, _label, _description, options in definitions:
        if rng.random() < 0.1:
            continue  # never set on this record: the key is absent, like Intercom
        values[name] = custom_value(rng, data_type, options, now)
    return values


def list_ref(kind: str, id: str) -> dict[str, str]:
    """An embedded {type, id, url} item as in contact tags/companies/notes lists."""
    plural = {"tag": "tags", "company": "companies", "note": "notes"}[kind]
    return {"type": kind, "id": id, "url": f"/{plural}/{id}"}


def embedded_list(items: list[dict], url: str) -> dict[str, Any]:
    """A contact's complete embedded list (the HTTP layer truncates to 10 + has_more)."""
    return {"type": "list", "data": items, "url": url, "total_count": len(items), "has_more": False}


def admin_record(
    admin_id: str,
    name: str,
    email: str,
    *,
    job_title: str,
    away_mode_enabled: bool,
    away_mode_reassign: bool,
    has_inbox_seat: bool,
    team_ids: list[int],
    avatar: str | None,
    primary_team_ids: list[int] | None,
    role: dict | None,
) -> dict[str, Any]:
    """An admin as real workspaces send it: `job_title` and `avatar` left out when unset, a set
    avatar is `{"image_url": …}` (the spec says a string; real clients require the object),
    `team_priority_level` is `{}` or `{"primary_team_ids": [...]}` (captures)."""
    admin: dict[str, Any] = {"type": "admin", "id": admin_id, "name": name, "email": email}
    if job_title:
        admin["job_title"] = job_title
    admin.update(
        {
            "away_mode_enabled": away_mode_enabled,
            "away_mode_reassign": away_mode_reassign,
            "away_status_reason_id": None,
            "has_inbox_seat": has_inbox_seat,
            "team_ids": team_ids,
        }
    )
    if avatar:
        admin["avatar"] = {"image_url": avatar}
    admin["team_priority_level"] = (
        {"primary_team_ids": primary_team_ids} if primary_team_ids else {}
    )
    admin["role"] = role
    return admin


def tag_basic(tag: dict) -> dict[str, str]:
    return {"type": "tag", "id": tag["id"], "name": tag["name"]}


def contact_reference(contact: dict) -> dict[str, Any]:
    return {"type": "contact", "id": contact["id"], "external_id": contact["external_id"]}


def admin_author(admin: dict) -> dict[str, Any]:
    return {"type": "admin", "id": admin["id"], "name": admin["name"], "email": admin["email"]}


def contact_author(contact: dict) -> dict[str, Any]:
    return {
        "type": contact["role"],
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
    }


def conversation_part(
    *,
    id: str,
    part_type: str,
    author: dict,
    created_at: int,
    body: str | None = None,
    assigned_to: dict | None = None,
) -> dict[str, Any]:
    """A 2.16 conversation_part; ``state`` is filled in by emulator.world.derive."""
    author = dict(author)
    author.setdefault("from_ai_agent", False)
    author.setdefault("is_ai_answer", False)
    return {
        "type": "conversation_part",
        "id": id,
        "part_type": part_type,
        "body": body,
        "created_at": created_at,
        "updated_at": created_at,
        "notified_at": created_at,
        "assigned_to": assigned_to,
        "author": author,
        "attachments": [],
        "external_id": None,
        "redacted": False,
        "email_message_metadata": None,
        # real 2.16 parts: empty object/list, not null (captures; issue 17)
        "metadata": {},
        "state": "open",
        "tags": [],
        "event_details": {},
        "app_package_code": None,
        "translations": None,
    }


def ticket_part(
    *,
    id: str,
    part_type: str,
    author: dict,
    created_at: int,
    previous_state: str,
    state: str,
    body: str | None = None,
    assigned_to: dict | None = None,
    updated_attribute_data: dict | None = None,
) -> dict[str, Any]:
    """A 2.16 ticket_part. Real parts leave `previous_ticket_state` out unless the state
    changed, and `assigned_to` out unless the part assigns (absent, not null: captures)."""
    part: dict[str, Any] = {"type": "ticket_part", "id": id, "part_type": part_type, "body": body}
    if previous_state != state or part_type == "ticket_state_updated_by_admin":
        part["previous_ticket_state"] = previous_state
    part["ticket_state"] = state
    part["created_at"] = created_at
    part["updated_at"] = created_at
    if assigned_to is not None:
        part["assigned_to"] = assigned_to
    part.update(
        {
            "author": author,
            "attachments": [],
            "external_id": None,
            "redacted": False,
            "app_package_code": "",
            "updated_attribute_data": updated_attribute_data,
        }
    )
    return part
