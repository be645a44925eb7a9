"""Column names made of keys: dlt's rule for an object's keys (`column_key`), and the readable
rule for free-form attribute names (`readable_key`, docs/tables-naming.md)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from hashlib import sha256

from dlt.common.normalizers.naming.snake_case import NamingConvention

_naming = NamingConvention()


def column_key(key: str) -> str:
    """The column name dlt's snake_case naming makes of an object's key (before the
    parent's prefix)."""
    return _naming.normalize_identifier(key) if key and not key.isspace() else "_empty"


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# dlt's snake_case word breaks (`PlanTier`, `planTier` → `plan_tier`): kept, so names that
# were readable under dlt's rule keep their column.
_CAMEL_1 = re.compile("([^_])([A-Z][a-z]+)")
_CAMEL_2 = re.compile("([a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)
def readable_key(name: str) -> str:
    """The column name of a free-form key (a custom or ticket attribute name); the rule of
    docs/tables-naming.md: accents dropped (`é` → `e`), camelCase split as dlt splits it,
    lower case, and every run of other characters (spaces, `-`, emoji, `_` at either end) one
    `_` between words; `_` before a leading digit (as dlt does, for SQL). A name with no
    ASCII letter or digit (`日本語`) becomes `attribute_<8 hex digits of its sha-256>`. dlt's
    snake_case leaves the result unchanged; unlike that rule it never makes `x` of a trailing
    `_` or emoji (`_default_title_` → `default_title`, not `_default_titlex`)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    split = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", folded)).lower()
    words = _NOT_ALNUM.sub(" ", split).split()
    if not words:
        return f"attribute_{sha256(name.encode()).hexdigest()[:8]}"
    key = "_".join(words)
    return f"_{key}" if key[0].isdigit() else key
