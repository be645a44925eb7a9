"""Intercom's OpenAPI descriptions, vendored in `emulator/spec/` (MIT, Intercom), and the list of
where real workspaces differ from them (`emulator/deviations.yaml`): the one place that finds
them, as package data, wherever the package is installed."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

SPEC_VERSIONS = ("2.9", "2.15", "2.16")


def spec_file(version: str) -> Traversable:
    """The vendored spec of API `version` (one of `SPEC_VERSIONS`)."""
    if version not in SPEC_VERSIONS:
        raise ValueError(f"no vendored spec for {version!r}: {', '.join(SPEC_VERSIONS)}")
    return files("emulator").joinpath("spec", f"api.intercom.io.{version}.yaml")


@cache
def load_spec(version: str) -> dict[str, Any]:
    """The parsed spec of `version` (needs PyYAML: the `emulator` extra). Read-only: shared."""
    import yaml  # the sync itself never needs it

    with spec_file(version).open(encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def load_deviations() -> dict[str, Any]:
    """deviations.yaml: each deviation of real Intercom from the spec with its evidence
    (`deviations`), and where the official SDK's models contradict both (`sdk`)."""
    import yaml

    with files("emulator").joinpath("deviations.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)
