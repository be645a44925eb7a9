"""Optional on-disk cache of generated worlds, so a new process starts a big world in seconds.

Opt in with ``INTERCOM_EMULATOR_WORLD_CACHE=/some/dir``. ``generate_world(cfg)`` then loads
``<dir>/world-<key>.pickle`` when present and writes it after generating otherwise. The key
hashes the config's identity *and* the source of the modules that shape a world, so changing
the generator invalidates old files. Files are written atomically (temp file + rename); a
corrupt or unreadable file is ignored and regenerated. Only pristine (just generated) worlds
are cached; a medium world is about 0.9 GB on disk.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.world import World, WorldConfig

ENV_VAR = "INTERCOM_EMULATOR_WORLD_CACHE"
_SHAPING_MODULES = (
    "activity",
    "company_notes",
    "content",
    "publishing",
    "audit",
    "calls",
    "daily_changes",
    "derive",
    "factory",
    "generate",
    "ops",
    "records",
    "scales",
    "segment_members",
    "randomset",
    "store",
    "__init__",  # World itself
)


def _directory() -> Path | None:
    value = os.environ.get(ENV_VAR)
    return Path(value) if value else None


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SHAPING_MODULES:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def path_for(cfg: WorldConfig) -> Path | None:
    directory = _directory()
    if directory is None:
        return None
    key = hashlib.sha256(repr((cfg.identity(), _code_fingerprint())).encode()).hexdigest()[:24]
    return directory / f"world-{key}.pickle"


def load(cfg: WorldConfig) -> World | None:
    path = path_for(cfg)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # a broken cache file must never break the emulator: regenerate
        return None


def save(world: World) -> None:
    path = path_for(world.cfg)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".world-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            pickle.dump(world, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
