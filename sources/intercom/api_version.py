"""The one comparison of Intercom API versions in the source.

Intercom names versions "1.0" … "2.16" and "Preview" (formerly "Unstable"), exact strings
(API-NOTES §1). Numbered versions compare as numbers ("2.9" < "2.10"); Preview is newer than
every numbered one. Anything else is an error here rather than a guess: a guess once turned
"Preview" into (0, 0) and switched `--reconcile` off without a word.
"""

from __future__ import annotations

import re

PREVIEW_NAMES = ("Preview", "Unstable")
_PREVIEW_KEY = (10**6, 0)  # after every numbered version
_NUMBERED = re.compile(r"(\d+)\.(\d+)")


def version_key(api_version: str) -> tuple[int, int]:
    """A sortable key: "2.16" -> (2, 16), "Preview" -> after every number."""
    name = str(api_version)
    if name in PREVIEW_NAMES:
        return _PREVIEW_KEY
    match = _NUMBERED.fullmatch(name)
    if match is None:
        raise ValueError(
            f"Intercom API version {name!r}: use a number like 2.16, or Preview "
            "(exact spelling, as Intercom accepts it)"
        )
    return int(match.group(1)), int(match.group(2))


def at_least(api_version: str, minimum: str) -> bool:
    """Whether `api_version` is `minimum` or newer."""
    return version_key(api_version) >= version_key(minimum)
