"""dlt's checks of configuration type hints, remembered per hint.

dlt resolves a configuration (its own and every `@with_config` function's) on nearly every
call: a file writer per table, each table prepared for loading, each merge strategy. For each
field and each provider it asks again whether the field's hint is a secret
(`is_secret_hint`) and what its inner type is (`extract_inner_hint`): pure functions of the
hint, recomputed tens of thousands of times per sync. Remembering their answers took about a
tenth off the CPU of a tiny world's incremental sync (alternated in one process,
`docs/performance.md`).

dlt imports both by name into several modules, so every loaded dlt module that holds the
original function gets the remembering one; modules imported later import it from
`base_configuration`, which holds it too. Hints that cannot be hashed are answered by the
original, uncached. The caches are bounded: dlt makes a configuration class per decorated
function, and a long-lived process (an orchestrator's worker) must not keep them all.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from dlt.common.configuration.specs import base_configuration

_CACHE_SIZE = 4096
_MARK = "_intercom_remembers_hints"


def remember_type_hint_checks() -> None:
    """Make dlt's `is_secret_hint` and `extract_inner_hint` remember their answers, in every
    loaded dlt module. Idempotent."""
    is_secret_hint = base_configuration.is_secret_hint
    extract_inner_hint = base_configuration.extract_inner_hint
    if getattr(is_secret_hint, _MARK, False):
        return
    replacements = {
        "is_secret_hint": (is_secret_hint, _remembering(is_secret_hint)),
        "extract_inner_hint": (extract_inner_hint, _remembering(extract_inner_hint)),
    }
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "dlt" or name.startswith("dlt.")):
            continue
        for attribute, (original, remembering) in replacements.items():
            # the module's own names: a module `__getattr__` (dlt.hub's) may raise
            if vars(module).get(attribute) is original:
                setattr(module, attribute, remembering)


def _remembering(check: Any) -> Any:
    cached = functools.lru_cache(maxsize=_CACHE_SIZE)(check)

    @functools.wraps(check)
    def remembering(hint: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return cached(hint, *args, **kwargs)
        except TypeError:  # an unhashable hint (or argument)
            return check(hint, *args, **kwargs)

    setattr(remembering, _MARK, True)
    remembering.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return remembering
