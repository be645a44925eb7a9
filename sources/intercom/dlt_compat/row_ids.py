"""dlt's row ids (`_dlt_id`): made here as dlt's normalizer makes them, for rows shaped into
Arrow ourselves. The hashes are inlined (they run per row) and checked equal to dlt's."""

from __future__ import annotations

from binascii import b2a_base64
from hashlib import shake_128

import orjson
from dlt.common.normalizers.utils import DLT_ID_LENGTH_BYTES, generate_dlt_id

# dlt's JSON for row hashes (`dlt.common.json._orjson`, sort_keys=True)
_DLT_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS


def random_row_id() -> str:
    """A `_dlt_id` as dlt's normalizer makes it where rows have no key hash."""
    return generate_dlt_id()


def _row_id(data: bytes) -> str:
    """dlt's `digest128b`: base64 of a 15-byte shake-128 digest."""
    digest = shake_128(data).digest(DLT_ID_LENGTH_BYTES)
    return b2a_base64(digest, newline=False).decode("ascii").rstrip("=")


def key_row_id(primary_key: str, key: str) -> str:
    """dlt's `get_row_hash({primary_key: key}, [primary_key])`, the `_dlt_id` of an upserted
    root row: the hash of the key as dlt's JSON (orjson, sorted keys)."""
    return _row_id(orjson.dumps({primary_key: key}, option=_DLT_JSON_OPTIONS))


def nested_row_id(parent_row_id: str, table: str, list_idx: int) -> str:
    """dlt's `get_nested_row_hash`: the `_dlt_id` of the `list_idx`th item of a list."""
    return _row_id(f"{parent_row_id}_{table}_{list_idx}".encode())
