"""Store: one big entity's records (contacts, companies, conversations, tickets).

Records are canonical Intercom 2.16 dicts (see emulator.world). A Store keeps them in creation
order together with small side indexes (``updated_at``, ``created_at`` and a per-record
``version``), so the HTTP layer can sort, filter on ``updated_at`` and cache renders without
parsing records.

Storage modes (knob ``storage`` of the scale):
    "dict"   records kept as dicts; ``get`` returns the stored dict itself (read-only!).
    "json"   records kept as orjson bytes; ``get`` parses (about 5-15 µs per record).
    "zjson"  orjson bytes deflated with a preset dictionary learnt from the store's first
             records (~5x smaller than "json"; ``get`` pays ~10-20 µs to inflate).
Writers always ``put`` a new dict (copy-on-write), never mutate a dict obtained from ``get``,
so a reader holding an old dict keeps a consistent snapshot.

Stores of conversations and tickets have a ``parts_key`` ("conversation_parts" /
"ticket_parts"): packed modes keep the parts list in a separate blob, so ``get_head(id)`` (the
record without that key, what list and search endpoints serve) needn't parse the parts.

Packed text puts a record's internal (``_``) keys after all others (a writer's order is kept
otherwise, and generated records have them last anyway) and the head blob ends with where they
start (``PUBLIC_END_BYTES``), so ``get_public_text(id)`` hands a renderer the text a client may
see, to serve without parsing most of it (emulator.http.splice).
"""

from __future__ import annotations

import bisect
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import orjson

STORAGE_MODES = ("dict", "json", "zjson")
PUBLIC_END_BYTES = 4  # trailer of a packed head: length of its text before the internal keys


class Store:
    """Records of one entity kind keyed by id, in creation order."""

    def __init__(self, name: str, storage: str = "dict", parts_key: str | None = None) -> None:
        if storage not in STORAGE_MODES:
            raise ValueError(f"storage must be one of {STORAGE_MODES}")
        self.name = name
        self.storage = storage
        self.parts_key = parts_key
        self._data: dict[str, Any] = {}  # id -> dict | bytes (dict preserves creation order)
        self._parts: dict[str, bytes] = {}  # packed modes with parts_key: id -> parts list blob
        self._head_packer = _Packer(storage)
        self._parts_packer = _Packer(storage)
        self._updated: dict[str, int] = {}
        self._version: dict[str, int] = {}
        # created_at per id: list orderings by creation time need no record parse (a packed
        # record costs 5-20 µs to parse, an ordering of a large store would parse all of them)
        self._created: dict[str, Any] = {}
        self._order: list[str] = []  # creation order; replaced (not edited) after removals
        self._removed: set[str] = set()  # removed ids still in _order (pruned lazily)
        # Sorted (updated_at, id) pairs; rebuilt lazily, patched in place for small changes.
        self._by_updated: list[tuple[int, str]] | None = None
        self._dirty: dict[str, int | None] = {}  # id -> previous updated_at (None = new)
        self._index_lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, id: object) -> bool:
        return id in self._data

    def get(self, id: str) -> dict | None:
        """The canonical record (with all parts). Read-only: never mutate it."""
        raw = self._data.get(id)
        if raw is None or self.storage == "dict":
            return raw
        record = orjson.loads(self._head_text(raw))
        key = self.parts_key
        if key is not None:
            shell = record[key]  # restore the key order {type, <parts>, total_count}
            record[key] = {
                "type": shell["type"],
                key: self._parts_packer.unpack(self._parts[id]),
                "total_count": shell["total_count"],
            }
        return record

    def get_head(self, id: str) -> dict | None:
        """The record without its ``parts_key`` entry (cheap for packed conversations/tickets).

        For stores without parts this is ``get``. The result may be a fresh dict or a
        shallow copy; read-only either way.
        """
        raw = self._data.get(id)
        if raw is None:
            return None
        key = self.parts_key
        if self.storage == "dict":
            return raw if key is None else {k: v for k, v in raw.items() if k != key}
        record = orjson.loads(self._head_text(raw))
        if key is not None:
            del record[key]
        return record

    def get_public_text(self, id: str) -> bytes | None:
        """The orjson text of the head without its internal (``_``) keys (packed storage only,
        else None): the record as ``get_head`` returns it minus those keys, except that a
        ``parts_key`` value holds only ``{type, total_count}``. For renderers that splice text
        instead of parsing (emulator.http.splice)."""
        raw = self._data.get(id)
        if raw is None or self.storage == "dict":
            return None
        end = int.from_bytes(raw[-PUBLIC_END_BYTES:], "little")
        if raw[0]:  # plain text (a deflated blob starts with 0)
            return raw[:end] + b"}"
        return self._head_text(raw)[:end] + b"}"

    def _head_text(self, raw: bytes) -> Any:
        """The JSON text (bytes or a memoryview) of a packed head blob."""
        return self._head_packer.text(memoryview(raw)[:-PUBLIC_END_BYTES])

    def _pack_head(self, record: dict) -> bytes:
        """The head's text, internal keys last, then where they start (PUBLIC_END_BYTES)."""
        record, internal = _internal_keys_last(record)
        text = orjson.dumps(record)
        public_end = len(text) - 1  # the closing brace
        if internal:
            # `{"_a":…}` is as long as the `,"_a":…}` that ends the text ({} when all internal)
            suffix = len(orjson.dumps({k: record[k] for k in internal}))
            public_end = max(1, len(text) - suffix)
        return self._head_packer.pack_text(text) + public_end.to_bytes(PUBLIC_END_BYTES, "little")

    def ids(self) -> Sequence[str]:
        """Ids in creation order. Do not mutate; new records may appear at its end later, a
        removal replaces the list (so a held list never shifts under a reader)."""
        if self._removed:
            self._order = [i for i in self._order if i not in self._removed]
            self._removed = set()
        return self._order

    def random_id(self, rng) -> str | None:
        """A uniformly random live id (cheap even right after removals)."""
        if not self._data:
            return None
        while True:
            id = self._order[rng.randrange(len(self._order))]
            if id not in self._removed:
                return id

    def ids_by_updated_at(self) -> Sequence[str]:
        """Ids sorted by (updated_at, id) ascending (a snapshot list; do not mutate)."""
        return _IdsView(self.updated_index())

    def updated_index(self) -> list[tuple[int, str]]:
        """Sorted (updated_at, id) pairs, for ``bisect`` on updated_at. Snapshot; do not mutate."""
        with self._index_lock:
            if self._by_updated is None:
                self._by_updated = sorted((u, i) for i, u in self._updated.items())
            elif len(self._dirty) > 64:
                # Drop the changed pairs, append their new ones sorted: Timsort merges the two
                # sorted runs in linear time (far cheaper than re-sorting everything).
                dirty = self._dirty
                fresh = [pair for pair in self._by_updated if pair[1] not in dirty]
                fresh.extend(sorted((self._updated[i], i) for i in dirty if i in self._updated))
                fresh.sort()
                self._by_updated = fresh
            elif self._dirty:
                # Patch a copy so that readers iterating the previous snapshot stay consistent.
                fresh = list(self._by_updated)
                for id, old in self._dirty.items():
                    if old is not None:
                        pos = bisect.bisect_left(fresh, (old, id))
                        if pos < len(fresh) and fresh[pos] == (old, id):
                            del fresh[pos]
                    new = self._updated.get(id)
                    if new is not None:
                        bisect.insort(fresh, (new, id))
                self._by_updated = fresh
            self._dirty.clear()
            return self._by_updated

    def updated_at(self, id: str) -> int:
        return self._updated[id]

    def updated_at_by_id(self) -> Mapping[str, int]:
        """id -> ``updated_at`` of every live record. A live view: do not mutate."""
        return self._updated

    def version(self, id: str) -> int:
        return self._version[id]

    def live_versions(self, ids: Sequence[str]) -> list[int]:
        """``version`` of each id, -1 for ids not (or no longer) in the store (a page at once)."""
        data, version = self._data, self._version
        return [version[id] if id in data else -1 for id in ids]

    def created_index(self) -> Mapping[str, Any]:
        """id -> ``created_at`` (None if the record has none) of every live record, in creation
        order. A live view: do not mutate; copy its items before iterating across changes."""
        return self._created

    def values(self, with_parts: bool = True) -> Iterator[dict]:
        """Every record in creation order (parsed one by one for packed storage)."""
        read = self.get if with_parts else self.get_head
        for id in list(self._data):
            record = read(id)
            if record is not None:
                yield record

    def clone(self) -> Store:
        """An independent Store with the same records, in O(n) pointer copies.

        Records are shared, which is safe because nobody edits a stored record in place
        (dicts are replaced on ``put``, bytes are immutable).
        """
        with self._index_lock:
            twin = Store.__new__(Store)
            twin.__dict__.update(self.__dict__)
            twin._data = dict(self._data)
            twin._parts = dict(self._parts)
            twin._head_packer = self._head_packer.clone()
            twin._parts_packer = self._parts_packer.clone()
            twin._updated = dict(self._updated)
            twin._version = dict(self._version)
            twin._created = dict(self._created)
            twin._order = list(self._order)
            twin._removed = set(self._removed)
            twin._dirty = dict(self._dirty)  # _by_updated is replaced, never edited: share it
            twin._index_lock = threading.Lock()
            return twin

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_index_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._index_lock = threading.Lock()

    # -- writing (world only) ------------------------------------------------------------------
    def put(self, record: dict) -> None:
        """Insert or replace a record (its ``id`` and ``updated_at`` are indexed)."""
        id = record["id"]
        is_new = id not in self._data
        key = self.parts_key
        if self.storage == "dict":
            self._data[id] = record
        elif key is None:
            self._data[id] = self._pack_head(record)
        else:
            shell = record[key]
            self._parts[id] = self._parts_packer.pack(shell[key])
            head = dict(record)
            head[key] = {"type": shell["type"], "total_count": shell["total_count"]}
            self._data[id] = self._pack_head(head)
        self._note_updated(id, record["updated_at"], is_new)
        self._version[id] = self._version.get(id, 0) + 1
        self._created[id] = record.get("created_at")
        if is_new:
            if id in self._removed:  # re-created after removal: keep one entry, at the end
                self.ids()
            self._order.append(id)

    def remove(self, id: str) -> dict | None:
        record = self.get(id)
        if record is None:
            return None
        del self._data[id]
        self._parts.pop(id, None)
        self._created.pop(id, None)
        self._note_updated(id, None, False)
        self._version[id] = self._version.get(id, 0) + 1  # keep: a re-render must not hit cache
        self._removed.add(id)
        return record

    def _note_updated(self, id: str, updated_at: int | None, is_new: bool) -> None:
        with self._index_lock:  # readers may sort the index from another thread
            previous = None if is_new else self._updated.get(id)
            if updated_at is None:
                self._updated.pop(id, None)
            else:
                self._updated[id] = updated_at
            if self._by_updated is not None and previous != updated_at:
                self._dirty.setdefault(id, previous)


# key layout -> (do its internal keys all come last?, its internal keys); records of a kind
# share a few layouts
_LAYOUTS: dict[tuple[str, ...], tuple[bool, tuple[str, ...]]] = {}


def _internal_keys_last(record: dict) -> tuple[dict, tuple[str, ...]]:
    """`record` (or a copy with its internal keys moved after the others: packed text then ends
    with every key a client never sees, whatever the writer's order) and its internal keys."""
    layout = tuple(record)
    known = _LAYOUTS.get(layout)
    if known is None:
        flags = [k.startswith("_") for k in layout]
        known = (flags == sorted(flags), tuple(k for k in layout if k.startswith("_")))
        if len(_LAYOUTS) > 1024:
            _LAYOUTS.clear()
        _LAYOUTS[layout] = known
    last, internal = known
    if last:
        return record, internal
    public = {k: v for k, v in record.items() if not k.startswith("_")}
    return public | {k: record[k] for k in internal}, internal


def head_reader(store: Store) -> Callable[[str], dict | None]:
    """How to read records whose parts are not needed (matching, sorting, list pages): packed
    storage then skips parsing the parts blob (most of a conversation's bytes); dict storage's
    `get` is free while its `get_head` copies, and the parts it keeps are simply not read."""
    return store.get if store.storage == "dict" else store.get_head


class _Packer:
    """Turns JSON values into compact bytes and back, for one kind of blob of one store.

    "json": exact-size orjson bytes. "zjson": the first ``SAMPLES`` blobs stay plain JSON and
    become the preset dictionary (its last ``ZDICT_BYTES``) for deflating every later blob,
    which then starts with a 0 byte (JSON never does). Small records share most of their text
    (keys, enum values), so a dictionary halves their size compared with plain deflate.
    """

    SAMPLES = 64
    ZDICT_BYTES = 4096

    def __init__(self, storage: str) -> None:
        self.compress = storage == "zjson"
        self._samples: list[bytes] = []
        self._zdict: bytes | None = None

    def clone(self) -> _Packer:
        twin = _Packer("zjson" if self.compress else "json")
        twin._samples = list(self._samples)
        twin._zdict = self._zdict
        return twin

    def pack(self, value: Any) -> bytes:
        blob = self.pack_text(orjson.dumps(value))
        # a plain text is orjson's bytes, whose buffer is >= 8 KiB: keep an exact-size copy
        return blob if blob[0] == 0 else bytes(memoryview(blob))

    def pack_text(self, raw: bytes) -> bytes:
        """The blob of a JSON text (the text itself until the dictionary is learnt)."""
        if not self.compress or self._zdict is None:
            if self.compress:
                self._samples.append(bytes(memoryview(raw)))
                if len(self._samples) >= self.SAMPLES:
                    self._zdict = b"".join(self._samples)[-self.ZDICT_BYTES :]
                    self._samples = []
            return raw
        deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, self._zdict)
        return b"\x00" + deflate.compress(raw) + deflate.flush()

    def unpack(self, raw: bytes) -> Any:
        return orjson.loads(self.text(raw))

    def text(self, raw: Any) -> Any:
        """The JSON text of a blob (given as bytes or a memoryview; returned as either)."""
        if raw[0] == 0:
            inflate = zlib.decompressobj(zdict=self._zdict)
            return inflate.decompress(memoryview(raw)[1:])
        return raw


class _IdsView(Sequence[str]):
    """The ids of a sorted (updated_at, id) list, without copying it."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        self._pairs = pairs

    def __len__(self) -> int:
        return len(self._pairs)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [pair[1] for pair in self._pairs[index]]
        return self._pairs[index][1]

    def __iter__(self) -> Iterator[str]:
        return (pair[1] for pair in self._pairs)
