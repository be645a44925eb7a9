"""Give every attribute name of a free-form object field (`custom_attributes`,
`ticket_attributes`) a readable column of its own, the same from run to run.

The column of `custom_attributes.<name>` is `custom_attributes__<readable_key(name)>`
(`naming.readable_key`, the rule of docs/tables-naming.md). Names that make one key — `Plan
Tier`, `plan-tier` and `plan_tier` all make `plan_tier` — would share one column, and a record
setting two of them would keep one value and lose the other without a word. Here the first name
seen for a key owns it for good — the owners are kept in the resource's dlt state, committed
with the loads — and any other name that would land on it is loaded under
`<key>_<first 8 hex digits of the name's sha-256>`: stable from run to run, distinct per
name. Where definitions exist (`/data_attributes`), the oldest attribute is seen first.

A row's object is handed to dlt with each name replaced by its column key only where dlt's
own snake_case would name the column differently (dlt leaves a readable key as it is).

Pipelines loaded before this rule kept the owners by dlt's snake_case column
(`LEGACY_STATE_KEY`); they seed the new owners once, in their order (`pipelines.run.migrations`
renames the old columns to the new ones before the first run that uses them).
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256

from sources.intercom.naming import column_key, readable_key

STATE_KEY = "attribute_columns"  # field -> {column key: the name that owns it}
LEGACY_STATE_KEY = "column_owners"  # field -> {dlt's snake_case column: name} (before)


class AttributeKeys:
    """The keys of one free-form object field (`custom_attributes`) of a resource's rows."""

    def __init__(self, field: str, owners: dict[str, str]) -> None:
        """`owners`: column key -> the name that owns it; updated in place (a dlt state
        dict)."""
        self.field = field
        self._owners = owners
        self._seen: set[str] = set()
        self.columns: dict[str, str] = {}  # name -> its column key
        self.renames: dict[str, str] = {}  # name -> the key it is handed to dlt under

    @classmethod
    def in_state(cls, state: dict, field: str) -> AttributeKeys:
        """The keys of `field` kept in a resource's `state`, seeded from a legacy state once
        (which is then dropped: one place per fact)."""
        owners = state.setdefault(STATE_KEY, {})
        legacy = state.get(LEGACY_STATE_KEY) or {}
        if field not in owners and field in legacy:
            keys = cls(field, owners.setdefault(field, {}))
            keys.see(legacy[field].values())
            del legacy[field]
            if not legacy:
                state.pop(LEGACY_STATE_KEY, None)
            return keys
        return cls(field, owners.setdefault(field, {}))

    @classmethod
    def legacy_renames(cls, state: dict, field: str) -> dict[str, str]:
        """For a state still in the legacy form: dlt's old column key of each owner -> its
        column key now (only those that differ). Does not change `state`."""
        legacy = (state.get(LEGACY_STATE_KEY) or {}).get(field) or {}
        keys = cls(field, dict((state.get(STATE_KEY) or {}).get(field) or {}))
        keys.see(legacy.values())
        return {
            old: keys.columns[name] for old, name in legacy.items() if keys.columns[name] != old
        }

    def key_for(self, name: str) -> str:
        """The key `name` is handed to dlt under (registering it if new)."""
        self.see((name,))
        return self.renames.get(name, name)

    def column_for(self, name: str) -> str:
        """The column key of `name` (registering it if new): dlt's name of the column
        without the field's prefix."""
        self.see((name,))
        return self.columns[name]

    def see(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._seen:
                continue
            self._seen.add(name)
            key = readable_key(name)
            owner = self._owners.setdefault(key, name)
            if owner != name:
                key = f"{key}_{sha256(name.encode()).hexdigest()[:8]}"
            self.columns[name] = key
            if column_key(name) != key:
                self.renames[name] = key

    def apply(self, rows: list[dict]) -> None:
        """In place: every row's object under `field` with its keys as they are loaded. Rows
        are ours (shaped copies); a renamed object is a new dict."""
        objects = [obj for row in rows if type(obj := row.get(self.field)) is dict]
        new = set().union(*objects) - self._seen if objects else set()
        if new:  # in order of appearance: which name comes first decides the owner
            self.see(name for obj in objects for name in obj if name in new)
        if not self.renames:
            return
        renames = self.renames
        for row in rows:
            obj = row.get(self.field)
            if type(obj) is dict and not renames.keys().isdisjoint(obj):
                row[self.field] = {renames.get(key, key): value for key, value in obj.items()}
