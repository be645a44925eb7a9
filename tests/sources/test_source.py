"""The `intercom` source function: configuration, token handling, start_date, shared /me."""

from __future__ import annotations

import datetime as dt

import pytest

from sources.intercom import intercom, parse_start_date
from sources.intercom.dlt_compat import resource_hints, table_variants
from sources.intercom.errors import AuthError
from sources.intercom.settings import RESOURCE_NAMES
from tests.helpers.truth import mismatches, truth, unix


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return seen


def test_resource_names_follow_the_contract() -> None:
    source = intercom(access_token="t", base_url="http://127.0.0.1:9")
    names = list(source.resources)
    assert names == [n for n in RESOURCE_NAMES if n in names]
    assert names[:8] == list(RESOURCE_NAMES[:8])


@pytest.mark.parametrize("env_var", ["INTERCOM_ACCESS_TOKEN", "SOURCES__INTERCOM__ACCESS_TOKEN"])
def test_token_from_the_environment(emulator, sync, rows, monkeypatch, env_var):
    emu = emulator()
    monkeypatch.setenv(env_var, emu.token)
    sync(emu, resources=["tags"], access_token=None)
    assert len(rows("tags")) == len(emu.world.tags)


def test_merge_strategy_reaches_every_merged_table_and_is_checked() -> None:
    source = intercom(access_token="t", base_url="http://127.0.0.1:9", reconcile=True)
    swapped = intercom(
        access_token="t",
        base_url="http://127.0.0.1:9",
        reconcile=True,
        merge_strategy="delete-insert",
    )
    merged = set()
    for name, resource in source.resources.items():
        other = swapped.resources[name]
        tables = {None: (resource_hints(resource), resource_hints(other))}
        tables.update(
            (table, (hints, table_variants(other)[table]))
            for table, hints in table_variants(resource).items()
        )
        for table, (before, after) in tables.items():
            disposition = before.get("write_disposition")
            if isinstance(disposition, dict) or disposition == "merge":
                assert after["write_disposition"]["strategy"] == "delete-insert", (name, table)
                merged.add(table or name)
            else:  # replaced lookups, nested tables: untouched
                assert after.get("write_disposition") == disposition, (name, table)
    assert {"contacts", "contacts_merged", "companies", "conversation_parts", "tickets"} <= merged
    assert {"conversations_deleted", "contacts_deleted"} <= merged
    with pytest.raises(ValueError, match="merge_strategy 'scd2'"):
        intercom(access_token="t", base_url="http://127.0.0.1:9", merge_strategy="scd2")


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(AuthError, match="INTERCOM_ACCESS_TOKEN"):
        intercom(base_url="http://127.0.0.1:9")


def test_a_wrong_token_fails_without_revealing_it(emulator, sync):
    emu = emulator()
    secret = "wrong-token-s3cr3t-value"
    with pytest.raises(Exception) as info:
        sync(emu, resources=["contacts"], access_token=secret)
    chain = _chain(info.value)
    assert any(isinstance(e, AuthError) for e in chain)
    assert all(secret not in str(e) for e in chain)


def test_start_date_bounds_the_first_run(emulator, sync, rows):
    emu = emulator()
    updated = sorted(r["updated_at"] for r in truth(emu, "contacts"))
    start = updated[len(updated) // 2]
    iso = dt.datetime.fromtimestamp(start, dt.timezone.utc).isoformat()
    sync(emu, resources=["contacts", "companies"], start_date=iso)
    for entity in ("contacts", "companies"):
        expected = [r for r in truth(emu, entity) if r["updated_at"] >= start]
        assert expected
        assert mismatches(rows(entity), expected) == []
        assert min(unix(r["updated_at"]) for r in rows(entity)) >= start


def test_me_is_read_once_per_run(emulator, sync):
    emu = emulator()
    sync(emu, resources=["contacts", "companies", "data_attributes", "tags"])
    me_calls = emu.control.stats.snapshot()["endpoints"].get("GET /me", {})
    assert sum(me_calls.values()) == 1


def test_parse_start_date() -> None:
    assert parse_start_date(None) is None
    assert parse_start_date("2026-01-01") == 1767225600
    assert parse_start_date("2026-01-01T00:00:00Z") == 1767225600
    assert parse_start_date("2026-01-01T02:00:00+02:00") == 1767225600
    assert parse_start_date(dt.date(2026, 1, 1)) == 1767225600


def test_configuration_from_dlt_config(emulator, pipeline, monkeypatch):
    emu = emulator(api_version="2.9")
    monkeypatch.setenv("SOURCES__INTERCOM__ACCESS_TOKEN", emu.token)
    monkeypatch.setenv("SOURCES__INTERCOM__BASE_URL", emu.base_url)
    monkeypatch.setenv("SOURCES__INTERCOM__API_VERSION", "2.9")
    source = intercom()
    assert "role__name" not in source.resources["admins"].columns  # the 2.9 shape (2.16 has it)
    pipeline().run(source.with_resources("tags")).raise_on_failed_jobs()
    assert pipeline().last_trace.last_normalize_info.row_counts["tags"] == len(emu.world.tags)
