"""Company notes (2.10+: `GET /companies/{id}/notes`; 2.16 also embeds them in the company).

Notes live in ``world.notes`` beside the contact notes, keyed by id, with ``company`` instead
of ``contact``; ``world._company_notes`` lists each company's note ids, oldest first. The
company's embedded ``notes`` list keeps its first 10 references with ``total_count`` and
``has_more`` (the render of a 2.16 company is its stored text, so the world stores it as
served).

Adding a note moves the company's ``updated_at`` (as ``contact_note_added`` moves the
contact's): the source reads notes only for companies changed since its last run.

Determinism: drawn from streams of its own (``<seed>:company_notes`` at generation,
``<seed>:company_notes:<start>:<end>`` per ``advance`` span), numbered in a series of its
own, so no other record of a seed changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from emulator.world import ops
from emulator.world import records as r
from emulator.world.daily_changes import apply_daily_changes

if TYPE_CHECKING:
    from emulator.world import World

EMBEDDED_LIMIT = 10  # as contacts' embedded lists (emulator.versions.EMBEDDED_LIST_LIMIT)
FIRST_ID = 52_000_000  # a series apart from the contact notes' (33,000,000 on)
NOTED_SHARE = 0.15  # companies with notes at generation
HEAVY_NOTES = 12  # the first noted company has more notes than the embedded list holds
# expected new company notes per simulated day, per company
NOTES_PER_COMPANY_DAY = 0.02


def generate_company_notes(world: World) -> None:
    rng = random.Random(f"{world.cfg.seed}:company_notes")
    heavy = True
    for company_id in world.companies.ids():  # creation order
        if rng.random() >= NOTED_SHARE:
            continue
        count = HEAVY_NOTES if heavy else rng.randrange(1, 4)
        heavy = False
        record = ops.editable(world.companies, company_id)
        times = sorted(
            rng.randrange(record["created_at"], record["updated_at"] + 1) for _ in range(count)
        )
        for at in times:
            _add(world, rng, record, at)
        world.companies.put(record)  # updated_at unchanged: the notes are older than it


def advance_company_notes(world: World, start: int, end: int, intensity: float) -> dict[str, int]:
    if end <= start or intensity <= 0 or not len(world.companies):
        return {}
    per_day = {"company_note_added": NOTES_PER_COMPANY_DAY * len(world.companies)}
    return apply_daily_changes(
        world, "company_notes", start, end, intensity, per_day, {"company_note_added": _added}
    )


def company_notes(world: World, company_id: str) -> list[dict]:
    """The company's notes, newest first (as `GET /companies/{id}/notes` lists them)."""
    return [world.notes[n] for n in reversed(world._company_notes.get(company_id, []))]


def _added(world: World, rng: random.Random, at: int) -> bool:
    company_id = world.companies.random_id(rng)
    if company_id is None:
        return False
    record = ops.editable(world.companies, company_id)
    _add(world, rng, record, at)
    ops.save(world.companies, record, at)
    return True


def _add(world: World, rng: random.Random, company: dict, at: int) -> None:
    note_id = str(world.next_number("company_note", FIRST_ID))
    world.notes[note_id] = {
        "type": "note",
        "id": note_id,
        "created_at": at,
        "company": {"type": "company", "id": company["id"]},
        "author": world.admins[rng.choice(world._admin_ids)],
        "body": f"<p>{rng.choice(r.SENTENCES)}</p>",
    }
    ids = world._company_notes.setdefault(company["id"], [])
    ids.append(note_id)
    embedded = company["notes"]
    embedded["data"] = [r.list_ref("note", n) for n in ids[:EMBEDDED_LIMIT]]
    embedded["total_count"] = len(ids)
    embedded["has_more"] = len(ids) > EMBEDDED_LIMIT
