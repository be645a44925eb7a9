"""dlt's private internals are touched in `sources/intercom/dlt_compat/` only (where a test of
each fails loudly when a dlt upgrade changes it). Anywhere else in the repo this finds:

- an import from a dlt module that is not documented API (`PUBLIC` says what is);
- `x._name` where `_name` is a private name of dlt's and of nothing of ours;
- in a class of ours subclassing one of dlt's, a private method of dlt's it overrides
  (`_start`…) or a private attribute of dlt's it reads (`self._clock`).

The fix for each: a small named function or class in `dlt_compat` that the code calls.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import dlt

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("sources", "pipelines", "analytics", "bench", "emulator", "tests")
EXEMPT = (
    REPO / "sources" / "intercom" / "dlt_compat",
    REPO / "tests" / "sources" / "test_dlt_compat.py",  # compares dlt_compat with dlt itself
)

ANY = frozenset({"*"})
# dlt's documented API, by module: names that may be imported from it (ANY: all of them).
# Besides these, exception classes from any dlt `…exceptions` module: what dlt's public calls
# raise (`PipelineStepFailed`, `ConfigFieldMissingException`…).
PUBLIC: dict[str, frozenset[str]] = {
    "dlt": ANY,
    "dlt.sources": ANY,  # DltSource, DltResource, incremental
    "dlt.destinations": ANY,  # destination factories and their configuration
    "dlt.common": frozenset({"pendulum"}),
    "dlt.common.pendulum": ANY,
    "dlt.common.typing": ANY,  # type names
    "dlt.common.schema.typing": ANY,  # hint types (TColumnSchema…)
    "dlt.common.schema": frozenset({"Schema"}),  # dlt.Schema
    "dlt.common.pipeline": frozenset({"LoadInfo"}),  # what pipeline.run returns
    # the naming convention dlt's docs name and extend
    "dlt.common.normalizers.naming.snake_case": frozenset({"NamingConvention"}),
    "dlt.common.libs.deltalake": frozenset({"get_delta_tables"}),  # the delta table docs' helper
    "dlt.helpers.dbt": frozenset({"create_runner"}),  # the dbt runner docs' entry point
}


def allowed(module: str, name: str) -> bool:
    if module.rsplit(".", 1)[-1] == "exceptions":
        return True
    if module.startswith("dlt.destinations."):
        return True
    names = PUBLIC.get(module)
    return names is not None and (names is ANY or name in names)


def python_files() -> Iterator[Path]:
    for root in SCANNED:
        for path in sorted((REPO / root).rglob("*.py")):
            if ".venv" in path.parts or any(path.is_relative_to(e) for e in EXEMPT):
                continue
            yield path


_PRIVATE_IN_DLT = re.compile(r"(?:\bdef |\bself\.|\bcls\.|^\s*)(_[A-Za-z][A-Za-z0-9_]*)", re.M)


def dlt_private_names() -> set[str]:
    """Private names (not dunders) in dlt's source: methods, attributes, class members."""
    names: set[str] = set()
    for path in Path(dlt.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="ignore")
        names.update(n for n in _PRIVATE_IN_DLT.findall(text) if not n.endswith("__"))
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def defined_private_names(path: Path) -> set[str]:
    """Private names `path` defines: functions, methods, assigned attributes and names."""
    return defined_private_names_in(ast.parse(path.read_text(encoding="utf-8")))


def defined_private_names_in(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Attribute) and isinstance(leaf.ctx, ast.Store):
                        names.add(leaf.attr)
                    elif isinstance(leaf, ast.Name) and isinstance(leaf.ctx, ast.Store):
                        names.add(leaf.id)
    return {n for n in names if _private(n)}


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def touches(path: Path, dlt_private: set[str], root: Path = REPO) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: dict[str, str] = {}  # local name -> "module:attribute" it was imported as
    where = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{module}:{alias.name}"
                if module.split(".")[0] == "dlt" and not allowed(module, alias.name):
                    yield f"{where}:{node.lineno}: from {module} import {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bound = alias.name if alias.asname else top
                imported[alias.asname or top] = f"{bound}:"
                if alias.name.startswith("dlt.") and not allowed(alias.name, "*"):
                    yield f"{where}:{node.lineno}: import {alias.name}"
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if name.startswith("_") and not name.endswith("__") and name in dlt_private:
                yield f"{where}:{node.lineno}: .{name} (a private name of dlt's)"
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield from _class_touches(node, imported, where)


def _resolve(name: str, imported: dict[str, str]) -> object | None:
    """The object a (dotted) name in a file stands for, through that file's imports."""
    head, _, rest = name.partition(".")
    if head not in imported:
        return None
    found: object | None = None
    module, _, attribute = imported[head].rpartition(":")
    try:
        found = importlib.import_module(module)
        for part in [p for p in (attribute, *rest.split(".")) if p]:
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found


def _dlt_member(classes: list[type], name: str) -> str | None:
    """Where a dlt class among `classes` defines `name` (a method, or an attribute it sets)."""
    for c in classes:
        try:
            source = inspect.getsource(c)
        except (OSError, TypeError):
            source = ""
        if name in vars(c) or f"self.{name} " in source or f"self.{name}:" in source:
            return f"{c.__module__}.{c.__qualname__}.{name}"
    return None


def _class_touches(node: ast.ClassDef, imported: dict[str, str], where: Path) -> Iterator[str]:
    """In a class of ours with dlt classes among its bases: private methods of theirs it
    overrides, and private attributes of theirs it reads (`self._clock`)."""
    bases = [b for b in (_resolve(dotted(b) or "", imported) for b in node.bases) if b]
    dlt_classes = [
        c
        for base in bases
        if isinstance(base, type)
        for c in base.__mro__
        if c.__module__.split(".")[0] == "dlt"
    ]
    if not dlt_classes:
        return
    own = defined_private_names_in(node)
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _private(item.name):
            owner = _dlt_member(dlt_classes, item.name)
            if owner is not None:
                yield f"{where}:{item.lineno}: {node.name}.{item.name} overrides {owner}"
    for leaf in ast.walk(node):
        if (
            isinstance(leaf, ast.Attribute)
            and isinstance(leaf.value, ast.Name)
            and leaf.value.id == "self"
            and _private(leaf.attr)
            and leaf.attr not in own
        ):
            owner = _dlt_member(dlt_classes, leaf.attr)
            if owner is not None:
                yield f"{where}:{leaf.lineno}: {node.name} uses {owner}"


def test_dlt_internals_are_touched_in_dlt_compat_only() -> None:
    files = list(python_files())
    ours = set().union(*(defined_private_names(path) for path in files))
    dlt_private = dlt_private_names() - ours
    found = [touch for path in files for touch in touches(path, dlt_private)]
    assert not found, (
        "dlt internals outside sources/intercom/dlt_compat/ (move each into a named function "
        "there, with a test in tests/sources/test_dlt_compat.py):\n  " + "\n  ".join(found)
    )


def test_the_scan_finds_each_kind_of_touch(tmp_path: Path) -> None:
    """The scan is not blind: each kind of touch in a file is reported with its line, and
    neither public names nor private names of our own are."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from dlt.common.runtime.collector import Collector, LogCollector\n"
        "from dlt.pipeline.exceptions import PipelineStepFailed\n"
        "from dlt.common.schema.typing import TColumnSchema\n"
        "import dlt.extract.utils\n"
        "class Mine(Collector):\n"
        "    def _start(self, step): pass\n"
        "    def _mine(self): pass\n"
        "class Lines(LogCollector):\n"
        "    def dump_counters(self): return self._clock(), self._mine\n"
        "names = cursor._get_columns(), cursor._ours\n",
        encoding="utf-8",
    )
    found = list(touches(sample, {"_get_columns"}, root=tmp_path))
    assert found == [
        "sample.py:1: from dlt.common.runtime.collector import Collector",
        "sample.py:1: from dlt.common.runtime.collector import LogCollector",
        "sample.py:4: import dlt.extract.utils",
        "sample.py:10: ._get_columns (a private name of dlt's)",
        "sample.py:6: Mine._start overrides dlt.common.runtime.collector_base.Collector._start",
        "sample.py:9: Lines uses dlt.common.runtime.collector.LogCollector._clock",
    ]
