"""Opt-in resources: off by default because each costs requests per parent record.

Switched on by `[sources.intercom] include = ["conversation_handling_events", …]` in
`.dlt/config.toml` (or `SOURCES__INTERCOM__INCLUDE='["…"]'`), `intercom-sync run --include a,b`,
or by naming one in `--resources` (which also runs its parent: they are read in the parent's
pass). docs/configuration.md says what each costs.
"""

from __future__ import annotations

from collections.abc import Iterable

from sources.intercom.settings import OPTIONAL_RESOURCES

# opt-in name -> the resource whose run reads it (its tables are written by that resource)
OPTIONAL_PARENTS: dict[str, str] = {
    # one request per conversation fetched in the run (2.16+)
    "conversation_handling_events": "conversations",
    # one request per conversation fetched in the run, more for > 25 side conversations (2.16+)
    "conversation_side_conversations": "conversations",
    # one request per 20 conversations of the calls new or changed since the last run (2.10+)
    "call_transcripts": "calls",
}
assert tuple(OPTIONAL_PARENTS) == OPTIONAL_RESOURCES  # one list: settings.py


def included(value: str | Iterable[str] | None) -> frozenset[str]:
    """The opt-in names switched on by `value` (a list, or one comma-separated string as an
    environment variable may give it); ValueError naming the known ones on any other name."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen = frozenset(str(name).strip() for name in names if str(name).strip())
    unknown = sorted(chosen - set(OPTIONAL_PARENTS))
    if unknown:
        raise ValueError(
            f"include = {', '.join(unknown)}: not an opt-in resource; choose from "
            f"{', '.join(OPTIONAL_RESOURCES)}"
        )
    return chosen


def of_parent(names: Iterable[str], parent: str) -> frozenset[str]:
    """The opt-ins among `names` that `parent`'s run reads."""
    return frozenset(name for name in names if OPTIONAL_PARENTS.get(name) == parent)


def split_resources(names: Iterable[str]) -> tuple[list[str], frozenset[str]]:
    """`--resources` names as (resources to select, opt-ins to switch on): an opt-in name
    selects its parent resource instead (read in the same pass)."""
    selected: list[str] = []
    switched_on = set()
    for name in names:
        if name in OPTIONAL_PARENTS:
            switched_on.add(name)
            name = OPTIONAL_PARENTS[name]
        if name not in selected:
            selected.append(name)
    return selected, frozenset(switched_on)
