"""One API-version comparison for the whole source (`api_version.py`): "Preview" is newer
than every numbered version, everywhere — `--reconcile` on Preview scans like on 2.16."""

from __future__ import annotations

import pytest

from sources.intercom.api_version import at_least, version_key
from sources.intercom.client import IntercomClient
from sources.intercom.reconcile import reconcile_resources


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("2.16", "2.10", True),
        ("2.9", "2.10", False),  # numbers, not strings: "2.9" > "2.10" as text
        ("2.10", "2.10", True),
        ("Preview", "2.16", True),
        ("Unstable", "2.16", True),  # Preview's former name
        ("2.0", "2.0", True),
        ("1.4", "2.0", False),
    ],
)
def test_at_least(version: str, minimum: str, expected: bool) -> None:
    assert at_least(version, minimum) is expected


def test_preview_sorts_after_every_number() -> None:
    assert version_key("Preview") > version_key("2.99")


@pytest.mark.parametrize("bad", ["preview", "2", "two.nine", ""])
def test_an_unknown_version_is_an_error_not_a_guess(bad: str) -> None:
    with pytest.raises(ValueError, match="API version"):
        version_key(bad)


def test_reconcile_on_preview_scans_all_three_entities() -> None:
    """Was: reconcile parsed versions itself, "Preview" became (0, 0) and all three scans
    were skipped without a word."""
    client = IntercomClient("token", base_url="http://127.0.0.1:9", api_version="Preview")
    names = {resource.name for resource in reconcile_resources(client)}
    assert names == {"contacts_deleted", "companies_deleted", "tickets_deleted"}
