"""docs/endpoints.md lists every GET path of the 2.9 and 2.16 specs exactly once, each either
loaded (into tables that exist) or with the reason it is not."""

from __future__ import annotations

import re
from pathlib import Path

from emulator.specs import load_spec
from sources.intercom.settings import RESOURCE_NAMES

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "endpoints.md"
ROW = re.compile(r"^\| `(/[^`]*)` \| ([^|]+) \| (.+) \|$")


def _normalized(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def _spec_gets(version: str) -> set[str]:
    return {_normalized(p) for p, ops in load_spec(version)["paths"].items() if "get" in ops}


def _rows() -> dict[str, list[tuple[str, str, str]]]:
    sections: dict[str, list[tuple[str, str, str]]] = {}
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif match := ROW.match(line):
            sections.setdefault(section, []).append(match.groups())
    return sections


def test_every_get_path_of_both_specs_is_listed_once_with_its_specs() -> None:
    rows = [row for section in _rows().values() for row in section]
    paths = [path for path, _, _ in rows]
    assert len(paths) == len(set(paths)), "a path listed twice"
    specs = {v: _spec_gets(v) for v in ("2.9", "2.16")}
    assert set(paths) == specs["2.9"] | specs["2.16"]
    for path, listed, _ in rows:
        has = {v for v, gets in specs.items() if path in gets}
        assert {v.strip() for v in listed.split(",")} == has, path


def test_loaded_paths_name_tables_of_the_reference_and_the_rest_say_why() -> None:
    sections = _rows()
    reference = (REPO / "docs" / "tables.md").read_text(encoding="utf-8")
    # the reference is of the newest version; 2.9's own lists are resources too
    tables = set(re.findall(r"^#### `([a-z_]+)`", reference, flags=re.M)) | set(RESOURCE_NAMES)
    for path, _, loads in sections["Loaded"]:
        named = re.findall(r"`([a-z_]+)`", loads)
        assert loads.startswith("no table") or loads.startswith("the ") or named, path
        if named and not loads.startswith(("no table", "the ")):
            assert named[0] in tables, f"{path}: {named[0]} is neither a resource nor a table"
    for path, _, why in sections["Not loaded, and why"]:
        assert len(why.split()) >= 4, f"{path}: say why"
