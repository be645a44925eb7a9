"""dlt settings the sync is measured and tested with, as defaults wherever it runs from.

dlt reads `.dlt/config.toml` from the working directory only, so a scheduler that runs
`intercom-sync` elsewhere would get dlt's own defaults instead. These are registered as a
configuration provider *after* all of dlt's (environment, secrets.toml, config.toml):
anything the user configures still wins.
"""

from __future__ import annotations

import contextlib
from typing import Any

import dlt
from dlt.common.configuration.exceptions import DuplicateConfigProviderException
from dlt.common.configuration.providers.doc import BaseDocProvider

DEFAULTS: dict[str, Any] = {
    "data_writer": {
        # dlt's intermediate files stay on local disk for seconds: compressing them cost ~10 %
        # of a sync's CPU. Parquet load files are compressed by parquet itself either way.
        "disable_compression": True,
        # Rows buffered per table before a write: the normalizer's peak memory grows with it
        # (10k conversations with parts: 314 MB -> 212 MB peak in normalize at 1,000 vs 5,000).
        "buffer_max_items": 1000,
    }
}


class SyncDefaults(BaseDocProvider):
    NAME = "intercom-sync defaults"

    def __init__(self) -> None:
        super().__init__({section: dict(values) for section, values in DEFAULTS.items()})

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def supports_secrets(self) -> bool:
        return False

    @property
    def supports_sections(self) -> bool:
        return True


def install() -> None:
    """Register the defaults for this process (again after dlt reloads its providers)."""
    with contextlib.suppress(DuplicateConfigProviderException):  # already registered
        dlt.config.register_provider(SyncDefaults())
