"""Which Intercom API versions `intercom-sync` syncs: one statement, checked before any request.

The source knows the response shapes of the versions in `SUPPORTED_API_VERSIONS` (2.9 and 2.16,
both tested); a version between them loads with the older one's column types
(`sources/intercom/schema.py spec_version_for`). Older versions lack the conversation search
the sync needs, and newer or unstable ones ("Preview") have shapes nobody checked, so both are
refused up front instead of failing half-way with an empty warehouse.
"""

from __future__ import annotations

import re

from pipelines.errors import ConfigError
from sources.intercom.api_version import version_key
from sources.intercom.parts import TICKETS
from sources.intercom.settings import DEFAULT_API_VERSION, SUPPORTED_API_VERSIONS

OLDEST = min(SUPPORTED_API_VERSIONS, key=version_key)
NEWEST = max(SUPPORTED_API_VERSIONS, key=version_key)
# The one sentence the CLI's help, its errors and docs/cli.md give.
SUPPORTED_STATEMENT = (
    f"Intercom API versions {OLDEST} to {NEWEST} (default {DEFAULT_API_VERSION}; "
    f"{' and '.join(SUPPORTED_API_VERSIONS)} are tested; tickets need "
    f"{TICKETS.min_api_version} or newer)"
)
_NUMBERED = re.compile(r"\d+\.\d+")


def check_api_version(value: str, setting: str = "--api-version") -> str:
    """`value` if intercom-sync supports it, else a ConfigError naming the versions that work."""
    text = str(value).strip()
    if _NUMBERED.fullmatch(text) and (
        version_key(OLDEST) <= version_key(text) <= version_key(NEWEST)
    ):
        return text
    raise ConfigError(
        f"{setting} {value}: not supported; intercom-sync syncs {SUPPORTED_STATEMENT}"
    )
