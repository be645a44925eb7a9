"""RandomSet: the world's sets of ids it picks from at random (open and long conversations)."""

from __future__ import annotations


class RandomSet:
    """A set with O(1) add, discard and uniform random pick (swap-remove list + positions)."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._positions: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._positions

    def add(self, item: str) -> None:
        if item not in self._positions:
            self._positions[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: str) -> None:
        position = self._positions.pop(item, None)
        if position is None:
            return
        last = self._items.pop()
        if position < len(self._items):
            self._items[position] = last
            self._positions[last] = position

    def clone(self) -> RandomSet:
        twin = RandomSet()
        twin._items = list(self._items)
        twin._positions = dict(self._positions)
        return twin

    def pick(self, rng) -> str | None:
        return self._items[int(rng.random() * len(self._items))] if self._items else None
