"""Fivetran's `dbt_intercom` v1.6.1, unchanged, on the Fivetran-shaped schema a sync builds
(`run --transform --fivetran-schema`), on DuckDB and on PostgreSQL: it builds and passes its own
tests, and its metrics are compared with our marts and with the emulator's truth, conversation
by conversation, admin by admin and company by company.

Where the definitions agree the numbers are equal. Where they differ (analytics/README.md, "Our
metrics and Fivetran's dbt_intercom"), each difference is pinned: Fivetran's figure equals its
own definition worked out from the parts the warehouse holds, ours equals ours, and the world
has conversations where the two part ways.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from statistics import median
from typing import Any

import pytest

from emulator.world.metrics import marts
from tests.helpers.analytics import Built, same
from tests.helpers.fivetran import PROJECT, PackageBuild, build_dbt_intercom

CONTACT_AUTHORS = ("user", "lead")  # dbt_intercom's contact authors
CENT = Decimal("0.01")


@dataclass
class Package:
    destination: str
    built: Built
    build: PackageBuild

    def mart(self, name: str) -> list[dict]:
        return self.built.query(f'SELECT * FROM "{self.build.schema}"."{name}"')

    def ours(self, name: str) -> list[dict]:
        return self.built.query(f'SELECT * FROM "{self.built.schema}"."{name}"')

    def fivetran(self, name: str) -> list[dict]:
        return self.built.query(f'SELECT * FROM "{self.built.transform.fivetran_schema}"."{name}"')


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Package:
    """One `dbt build` of dbt_intercom per destination, over the session's synced warehouse."""
    built: Built = request.getfixturevalue("built" if request.param == "duckdb" else "built_pg")
    work = tmp_path_factory.mktemp(f"dbt_intercom_{request.param}")
    build = build_dbt_intercom(work, built.transform.fivetran_schema, built.dbt_env)
    return Package(request.param, built, build)


def test_dbt_intercom_builds_and_passes_its_own_tests(package: Package) -> None:
    assert not package.build.failed(), (package.build.failed(), package.build.output)
    assert package.build.count("model") == 42  # every model of the package
    assert package.build.count("test") == 27  # and every test it declares


# --- the schema ---------------------------------------------------------------------------


def expected_columns() -> dict[str, set[str]]:
    """The columns dbt_intercom's staging macros expect, per source table, read from the
    vendored package itself (`macros/staging/get_<table>_columns.sql`)."""
    folder = PROJECT / "packages" / "dbt_intercom" / "macros" / "staging"
    columns = {}
    for path in folder.glob("get_*_columns.sql"):
        table = path.name[len("get_") : -len("_columns.sql")]
        columns[table] = {n.lower() for n in re.findall(r'"name": "(\w+)"', path.read_text())}
    return columns


def _columns(package: Package, table: str) -> dict[str, str]:
    rows = package.built.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{package.built.transform.fivetran_schema}' "
        f"AND table_name = '{table}'"
    )
    return {r["column_name"]: r["data_type"].lower() for r in rows}


def test_the_schema_has_every_table_and_column_dbt_intercom_reads(package: Package) -> None:
    expected = expected_columns()
    assert len(expected) == 16
    for table, names in expected.items():
        loaded = _columns(package, table)
        assert loaded, f"no view {table}"
        assert not names - set(loaded), (table, sorted(names - set(loaded)))
        history = {"_fivetran_active", "_fivetran_start", "_fivetran_end"}
        for name in names & history:
            kind = loaded[name]
            if name == "_fivetran_active":
                assert kind == "boolean", (table, kind)
            else:  # Fivetran's timestamps are UTC without a zone
                assert kind in ("timestamp", "timestamp without time zone"), (table, name, kind)


def test_without_history_each_live_record_is_its_one_active_version(package: Package) -> None:
    end_of_time = dt.datetime(9999, 12, 31, 23, 59, 59, 999000)
    conversations = package.fivetran("conversation_history")
    assert all(r["_fivetran_active"] for r in conversations)
    assert all(r["_fivetran_end"] == end_of_time for r in conversations)
    assert all(same(r["_fivetran_start"], r["updated_at"]) for r in conversations)
    # the live records only: deleted conversations and merged-away contacts are left out
    live = {r["conversation_id"] for r in package.ours("stg_conversations")}
    assert sorted(r["id"] for r in conversations) == sorted(live)
    world = package.built.world
    assert world.deleted_conversations and world.merged_contacts
    contacts = {r["id"] for r in package.fivetran("contact_history")}
    assert contacts == {r["contact_id"] for r in package.ours("stg_contacts")}
    assert not contacts & set(world.merged_contacts)
    parts = package.fivetran("conversation_part_history")
    assert {r["conversation_id"] for r in parts} <= live
    assert len(parts) == len(package.ours("stg_conversation_parts"))


# --- conversation by conversation -----------------------------------------------------------


def _by_id(rows: list[dict], key: str) -> dict[str, dict]:
    return {str(r[key]): r for r in rows}


def _cents(value: Any) -> Decimal | None:
    """A figure rounded to 2 decimals, half away from zero (as SQL's round on numeric)."""
    if value is None:
        return None
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _minutes(start: Any, end: Any) -> Decimal | None:
    """dbt_intercom's `round(datediff(second) / 60, 2)`."""
    if start is None or end is None:
        return None
    seconds = int((_utc(end) - _utc(start)).total_seconds())
    return (Decimal(seconds) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass
class FivetranDefinitions:
    """dbt_intercom's part-based definitions, worked out from the warehouse's parts."""

    reopens: int  # parts of type `open`
    assignments: list[dict]  # parts whose type contains `assignment`
    admin_responses: list[dict]  # admin `comment`/`assignment` parts with a body
    first_contact_author_id: str | None  # author of the first user/lead part
    last_admin_closer_id: str | None  # author of the last admin `close`


_NONE = FivetranDefinitions(0, [], [], None, None)  # a conversation without loaded parts


def fivetran_definitions(package: Package) -> dict[str, FivetranDefinitions]:
    parts: dict[str, list[dict]] = defaultdict(list)
    for part in package.ours("stg_conversation_parts"):
        parts[part["conversation_id"]].append(part)
    found = {}
    for cid, listed in parts.items():
        listed.sort(key=lambda p: (_utc(p["created_at"]), int(p["part_id"])))
        contacts = [p for p in listed if p["author_type"] in CONTACT_AUTHORS]
        admin_closes = [
            p for p in listed if p["part_type"] == "close" and p["author_type"] == "admin"
        ]
        found[cid] = FivetranDefinitions(
            reopens=sum(p["part_type"] == "open" for p in listed),
            assignments=[p for p in listed if "assignment" in p["part_type"]],
            admin_responses=[
                p
                for p in listed
                if p["part_type"] in ("comment", "assignment")
                and p["author_type"] == "admin"
                and p["body"] is not None
            ],
            first_contact_author_id=contacts[0]["author_id"] if contacts else None,
            last_admin_closer_id=admin_closes[-1]["author_id"] if admin_closes else None,
        )
    return found


@pytest.fixture(scope="module")
def compared(package: Package) -> dict[str, Any]:
    truth = marts(package.built.world, package.built.held_part_ids)
    enhanced = _by_id(package.ours("conversation_enhanced"), "conversation_id")
    ours = {
        cid: {**row, **enhanced[cid]}
        for cid, row in _by_id(package.ours("conversation_metrics"), "conversation_id").items()
    }
    return {
        "theirs": _by_id(package.mart("intercom__conversation_metrics"), "conversation_id"),
        "ours": ours,
        "truth": {
            cid: {**row, **truth["conversation_enhanced"][cid]}
            for cid, row in truth["conversation_metrics"].items()
        },
        "definitions": fivetran_definitions(package),
        "truth_marts": truth,
    }


# theirs -> ours (= the truth's): the same definition, the same number
AGREEING = {
    "count_total_parts": "count_parts_loaded",
    "first_contact_reply_at": "first_contact_reply_at",
    "last_contact_reply_at": "last_contact_reply_at",
    "first_admin_response_at": "first_admin_response_at",
    "last_admin_response_at": "last_admin_response_at",
    "first_close_at": "first_close_at",
    "last_close_at": "last_close_at",
    "first_close_by_author_id": "first_closed_by_id",
    "last_close_by_author_id": "last_closed_by_id",
    "conversation_state": "state",
    "conversation_rating": "rating",
    "conversation_assignee_id": "admin_assignee_id",
}


def test_conversations_agree_where_the_definitions_do(compared: dict[str, Any]) -> None:
    theirs, ours, truth = compared["theirs"], compared["ours"], compared["truth"]
    assert sorted(theirs) == sorted(ours) == sorted(truth)
    problems = [
        f"{cid}.{column}: dbt_intercom {row[column]!r}, ours {ours[cid][mine]!r}, "
        f"truth {truth[cid][mine]!r}"
        for cid, row in theirs.items()
        for column, mine in AGREEING.items()
        if not (same(row[column], ours[cid][mine]) and same(row[column], truth[cid][mine]))
    ]
    assert not problems, problems[:10]
    for cid, row in theirs.items():  # minutes: theirs rounded to 2 decimals, ours exact
        assert _cents(row["time_to_first_response_minutes"]) == _cents(
            ours[cid]["minutes_to_first_response"]
        ), cid
    assert sum(r["first_admin_response_at"] is not None for r in theirs.values()) > 100


def _differ(compared: dict[str, Any], theirs_column: str, ours_column: str) -> list[str]:
    return [
        cid
        for cid, row in compared["theirs"].items()
        if not same(row[theirs_column], compared["ours"][cid][ours_column])
    ]


def test_reopens_fivetran_counts_open_parts_we_count_moves_out_of_closed(
    compared: dict[str, Any],
) -> None:
    for cid, row in compared["theirs"].items():
        assert row["count_reopens"] == compared["definitions"].get(cid, _NONE).reopens, cid
        assert compared["ours"][cid]["count_reopens"] == compared["truth"][cid]["count_reopens"]
    assert _differ(compared, "count_reopens", "count_reopens")


def test_assignments_fivetran_matches_assignment_in_the_part_type(
    compared: dict[str, Any],
) -> None:
    """Theirs: any part type containing `assignment` (so unassignments count, and
    `assign_and_reopen`/`assign_and_unsnooze` do not); ours: the assignment family, to an
    admin or a team."""
    for cid, row in compared["theirs"].items():
        created = compared["ours"][cid]["created_at"]
        listed = compared["definitions"].get(cid, _NONE).assignments
        first = listed[0]["created_at"] if listed else None
        assert row["count_assignments"] == len(listed), cid
        assert same(row["first_assignment_at"], first), cid
        assert same(row["last_assignment_at"], listed[-1]["created_at"] if listed else None)
        assert _cents(row["time_to_first_assignment_minutes"]) == _minutes(created, first), cid
    assert _differ(compared, "count_assignments", "count_assignments")
    assert _differ(compared, "first_assignment_at", "first_assignment_at")


def test_admin_response_definitions(compared: dict[str, Any]) -> None:
    """Theirs: an admin `comment` or `assignment` with a non-null body; ours also counts the
    other assignment types with a body (none in this world: the two agree here)."""
    for cid, row in compared["theirs"].items():
        listed = compared["definitions"].get(cid, _NONE).admin_responses
        assert same(row["first_admin_response_at"], listed[0]["created_at"] if listed else None)


def test_time_to_close_fivetran_counts_from_the_first_contact_reply(
    compared: dict[str, Any],
) -> None:
    """Theirs: minutes from the first contact reply *part* (negative when the conversation was
    closed before the customer wrote again); ours: from the conversation's creation."""
    for cid, row in compared["theirs"].items():
        reply = row["first_contact_reply_at"]
        for theirs_column, close in (
            ("time_to_first_close_minutes", "first_close_at"),
            ("time_to_last_close_minutes", "last_close_at"),
            ("time_to_admin_first_close_minutes", "first_admin_close_at"),
            ("time_to_admin_last_close_minutes", "last_admin_close_at"),
        ):
            assert _cents(row[theirs_column]) == _minutes(reply, row[close]), (cid, theirs_column)
    assert _differ(compared, "time_to_last_close_minutes", "minutes_to_last_close")
    assert any((r["time_to_first_close_minutes"] or 0) < 0 for r in compared["theirs"].values())


# --- admin by admin, company by company -------------------------------------------------------


def _within_a_cent(theirs: Any, exact: Fraction | float | None) -> bool:
    """A figure dbt_intercom rounds to 2 decimals (after its own casts) against the exact one."""
    if theirs is None or exact is None:
        return theirs is None and exact is None
    return abs(Fraction(str(theirs)) - Fraction(exact)) <= Fraction(1, 200) + Fraction(1, 10**9)


def _median(values: list[Any]) -> Fraction | None:
    present = [Fraction(str(v)) for v in values if v is not None]
    return median(present) if present else None


def _mean(values: list[Any]) -> Fraction | None:
    present = [Fraction(str(v)) for v in values if v is not None]
    return sum(present, Fraction(0)) / len(present) if present else None


def _expected_group(conversations: list[dict]) -> dict[str, Any]:
    """dbt_intercom's per-admin/per-company figures over its conversations (its rows of
    intercom__conversation_metrics)."""
    if not conversations:
        return dict.fromkeys(
            ("closed", "parts", "rating", "reopened", "first_response", "last_close")
        )
    return {
        "closed": sum(c["conversation_state"] == "closed" for c in conversations),
        "parts": _mean([c["count_total_parts"] for c in conversations]),
        "rating": _mean([c["conversation_rating"] for c in conversations]),
        "reopened": _median([c["count_reopens"] for c in conversations]),
        "first_response": _median([c["time_to_first_response_minutes"] for c in conversations]),
        "last_close": _median([c["time_to_last_close_minutes"] for c in conversations]),
    }


def _check_group(row: dict, expected: dict[str, Any], what: str) -> None:
    closed = row["total_conversations_closed"]
    assert (int(closed) if closed is not None else None) == expected["closed"], what
    assert _within_a_cent(row["average_conversation_parts"], expected["parts"]), what
    rating = row["average_conversation_rating"]
    exact_rating = expected["rating"]
    assert (rating is None and exact_rating is None) or (
        float(rating) == pytest.approx(float(exact_rating), rel=1e-12)
    ), what
    assert _within_a_cent(row["median_conversations_reopened"], expected["reopened"]), what
    assert _within_a_cent(
        row["median_time_to_first_response_time_minutes"], expected["first_response"]
    ), what
    assert _within_a_cent(row["median_time_to_last_close_minutes"], expected["last_close"]), what


def test_admins_fivetran_credits_the_last_admin_closer_of_admin_assigned_conversations(
    package: Package, compared: dict[str, Any]
) -> None:
    """Theirs: an admin's conversations are those it closed last among the conversations
    assigned to an admin now (closed now or not); ours credits the last closer of every
    conversation closed now, assigned or not."""
    theirs_rows = package.mart("intercom__admin_metrics")
    ours = _by_id(package.ours("admin_metrics"), "admin_id")
    truth = compared["truth_marts"]["admin_metrics"]
    assert {r["admin_id"] for r in theirs_rows} == set(ours) == set(truth)
    admins = set(ours)
    credited: dict[str, list[dict]] = defaultdict(list)
    for cid, row in compared["theirs"].items():
        closer = compared["definitions"].get(cid, _NONE).last_admin_closer_id
        if row["conversation_assignee_id"] in admins and closer is not None:
            credited[closer].append(row)
    memberships = {(r["admin_id"], r["team_id"]) for r in package.ours("stg_team_admins")}
    assert {(r["admin_id"], r["team_id"]) for r in theirs_rows} == memberships
    for row in theirs_rows:  # one row per admin and team, the admin's figures on each
        admin = row["admin_id"]
        assert row["admin_name"] == ours[admin]["admin_name"] == truth[admin]["admin_name"]
        _check_group(row, _expected_group(credited[admin]), f"admin {admin}")
    # the two credits part ways: closed conversations assigned to a team only (or no one)
    unassigned_closed = [
        cid
        for cid, row in compared["ours"].items()
        if row["state"] == "closed" and row["admin_assignee_id"] is None
    ]
    assert unassigned_closed
    ours_closed = sum(r["count_closed_conversations"] for r in ours.values())
    theirs_closed = sum(int(r["total_conversations_closed"] or 0) for r in theirs_rows)
    assert ours_closed > theirs_closed


def test_companies_fivetran_follows_the_first_contact_author(
    package: Package, compared: dict[str, Any]
) -> None:
    """Theirs: a company's conversations are those whose first customer-authored part came
    from one of its contacts; ours: every conversation with one of its contacts."""
    theirs_rows = _by_id(package.mart("intercom__company_metrics"), "company_id")
    ours = _by_id(package.ours("company_metrics"), "company_id")
    truth = compared["truth_marts"]["company_metrics"]
    assert set(theirs_rows) == set(ours) == set(truth)
    companies_of: dict[str, set[str]] = defaultdict(set)
    for link in package.ours("stg_contact_companies"):
        companies_of[link["contact_id"]].add(link["company_id"])
    attributed: dict[str, list[dict]] = defaultdict(list)
    for cid, row in compared["theirs"].items():
        author = compared["definitions"].get(cid, _NONE).first_contact_author_id
        for company in companies_of.get(author, ()):
            attributed[company].append(row)
    differ = 0
    for company, row in theirs_rows.items():
        assert (
            row["company_name"] == ours[company]["company_name"] == truth[company]["company_name"]
        )
        expected = _expected_group(attributed[company])
        _check_group(row, expected, f"company {company}")
        differ += (expected["closed"] or 0) != ours[company]["count_closed_conversations"]
    assert differ


# --- with history mode ----------------------------------------------------------------------

# History tables as history mode writes them (root columns + `_valid_from`/`_valid_to`, lists
# nested under them by `_dlt_parent_id`): every contact's current version, retired at its
# deletion for a deleted or merged-away one, and an earlier version of one live contact with
# another name and another tag.
HISTORY_SQL = """
CREATE TABLE {s}.contacts_history AS
SELECT * EXCLUDE (_dlt_id), _dlt_id || ':now' AS _dlt_id,
       updated_at AS _valid_from, _deleted_at AS _valid_to
FROM {s}.contacts;
INSERT INTO {s}.contacts_history BY NAME
SELECT * EXCLUDE (_dlt_id, name, updated_at), _dlt_id || ':before' AS _dlt_id,
       'Earlier name' AS name, created_at AS updated_at,
       created_at AS _valid_from, updated_at AS _valid_to
FROM {s}.contacts WHERE id = '{changed}';
CREATE TABLE {s}.contacts_history__tags AS
SELECT * EXCLUDE (_dlt_parent_id), _dlt_parent_id || ':now' AS _dlt_parent_id
FROM {s}.contacts__tags;
INSERT INTO {s}.contacts_history__tags BY NAME
SELECT '{changed}' AS contact_id, '{tag}' AS tag_id, 'earlier-tag' AS _dlt_id,
       (SELECT _dlt_id || ':before' FROM {s}.contacts WHERE id = '{changed}') AS _dlt_parent_id;
CREATE TABLE {s}.contacts_history__companies AS
SELECT * EXCLUDE (_dlt_parent_id), _dlt_parent_id || ':now' AS _dlt_parent_id
FROM {s}.contacts__companies;
"""


@pytest.fixture(scope="module")
def history(built: Built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The session's DuckDB warehouse, copied, with contact history tables; the views built
    over it (`dbt run --selector fivetran`: the views only)."""
    import shutil

    import duckdb

    from tests.helpers.analytics import DATASET, duckdb_query
    from tests.helpers.fivetran import build_fivetran_views

    root = tmp_path_factory.mktemp("fivetran_history")
    source = Path(built.dbt_env["INTERCOM_DUCKDB_FILE"])
    db = root / "history.duckdb"
    shutil.copy(source, db)
    if source.with_name(source.name + ".wal").exists():
        shutil.copy(source.with_name(source.name + ".wal"), db.with_name(db.name + ".wal"))
    contacts = {r["id"]: r for r in built.query(f"SELECT * FROM {DATASET}.contacts")}
    changed = min(cid for cid, row in contacts.items() if row["_deleted_at"] is None)
    tag = min(r["id"] for r in built.query(f"SELECT id FROM {DATASET}.tags"))
    with duckdb.connect(str(db)) as con:
        con.execute(HISTORY_SQL.format(s=DATASET, changed=changed, tag=tag))
    build = build_fivetran_views(root, db, DATASET, "history_fivetran")
    assert not build.failed(), build.output
    query = duckdb_query(db)
    return {
        "contacts": contacts,
        "changed": changed,
        "tag": tag,
        "rows": lambda table: query(f"SELECT * FROM history_fivetran.{table}"),
    }


def test_with_history_every_version_is_there_with_fivetrans_validity(
    history: dict[str, Any],
) -> None:
    end_of_time = dt.datetime(9999, 12, 31, 23, 59, 59, 999000)
    contacts, changed = history["contacts"], history["changed"]
    versions = defaultdict(list)
    for row in history["rows"]("contact_history"):
        versions[row["id"]].append(row)
    assert set(versions) == set(contacts)  # deleted ones too, retired
    before, now = sorted(versions[changed], key=lambda r: r["_fivetran_start"])
    loaded = contacts[changed]
    assert (before["name"], before["_fivetran_active"]) == ("Earlier name", False)
    assert same(before["_fivetran_start"], loaded["created_at"])
    assert same(before["_fivetran_end"] + dt.timedelta(milliseconds=1), loaded["updated_at"])
    assert (now["name"], now["_fivetran_active"]) == (loaded["name"], True)
    assert same(now["_fivetran_start"], loaded["updated_at"])
    assert now["_fivetran_end"] == end_of_time
    deleted = [cid for cid, row in contacts.items() if row["_deleted_at"] is not None]
    assert deleted
    for cid in deleted:  # retired at the deletion: the end is the deletion time itself
        (version,) = versions[cid]
        assert not version["_fivetran_active"]
        assert same(version["_fivetran_end"], contacts[cid]["_deleted_at"])
    for cid in set(contacts) - set(deleted):  # one current version per live contact
        assert sum(v["_fivetran_active"] for v in versions[cid]) == 1


def test_with_history_links_follow_the_version_of_their_parent(history: dict[str, Any]) -> None:
    changed, tag = history["changed"], history["tag"]
    tags = [r for r in history["rows"]("contact_tag_history") if r["contact_id"] == changed]
    earlier = [r for r in tags if not r["_fivetran_active"]]
    assert [(r["tag_id"], r["_fivetran_active"]) for r in earlier] == [(tag, False)]
    assert same(earlier[0]["contact_updated_at"], history["contacts"][changed]["created_at"])
    assert all(r["_fivetran_active"] for r in tags if r not in earlier)
    # a deleted contact's links are retired with it
    deleted = {c for c, row in history["contacts"].items() if row["_deleted_at"] is not None}
    companies = history["rows"]("contact_company_history")
    assert companies
    assert all(r["_fivetran_active"] == (r["contact_id"] not in deleted) for r in companies)
    # tables without a history table keep the one-version shape
    assert all(r["_fivetran_active"] for r in history["rows"]("company_history"))
