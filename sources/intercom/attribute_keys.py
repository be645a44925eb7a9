"""Keep every custom attribute in a column of its own.

dlt names the column of `custom_attributes.<name>` after the name in snake_case, so `Plan
Tier`, `plan-tier` and `plan_tier` all land in `custom_attributes__plan_tier`: a record that
sets two of them keeps one value and loses the other, without a word. Here the first name seen
for a column keeps it for good — the owners are kept in the resource's dlt state, committed
with the loads — and any other name that would land on it is loaded under
`<column>_<first 8 hex digits of the name's sha-256>`: stable from run to run, distinct per
name. Where definitions exist (`/data_attributes`), the oldest attribute is seen first.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256

from sources.intercom.schema import column_key

STATE_KEY = "column_owners"


class AttributeKeys:
    """The keys of one free-form object field (`custom_attributes`) of a resource's rows."""

    def __init__(self, field: str, owners: dict[str, str]) -> None:
        """`owners`: column -> the name that owns it; updated in place (a dlt state dict)."""
        self.field = field
        self._owners = owners
        self._seen: set[str] = set()
        self.renames: dict[str, str] = {}  # name -> the key it is loaded under

    @classmethod
    def in_state(cls, state: dict, field: str) -> AttributeKeys:
        return cls(field, state.setdefault(STATE_KEY, {}).setdefault(field, {}))

    def key_for(self, name: str) -> str:
        """The key `name` is loaded under (registering it if new)."""
        self.see((name,))
        return self.renames.get(name, name)

    def see(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._seen:
                continue
            self._seen.add(name)
            column = column_key(name)
            owner = self._owners.setdefault(column, name)
            if owner != name:
                self.renames[name] = f"{column}_{sha256(name.encode()).hexdigest()[:8]}"

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
