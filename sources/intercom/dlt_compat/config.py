"""dlt's configuration providers: ours registered after dlt's own.

dlt has no public way to add a configuration provider; its providers are a list in the run
context (`Container()[PluggableRunContext].providers`), consulted in order, and a provider
reading a nested dict is `BaseDocProvider`.
"""

from __future__ import annotations

from typing import Any

from dlt.common.configuration.container import Container
from dlt.common.configuration.providers.doc import BaseDocProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext


class _SectionsProvider(BaseDocProvider):
    """Values by section (`{"load": {"truncate_staging_dataset": True}}`), never secrets."""

    def __init__(self, name: str, values: dict[str, dict[str, Any]]) -> None:
        super().__init__(values)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def supports_secrets(self) -> bool:
        return False

    @property
    def supports_sections(self) -> bool:
        return True


def register_config_provider(name: str, values: dict[str, dict[str, Any]]) -> None:
    """Make `values` ({section: {key: value}}) the configuration provider `name` of this
    process, consulted after all of dlt's (environment, secrets.toml, config.toml): anything
    configured there wins. Replaces the provider of that name registered before. dlt forgets
    it when it reloads its providers: register again then."""
    providers = Container()[PluggableRunContext].providers
    providers[name] = _SectionsProvider(name, values)
