"""`intercom-sync schema`: the tables and columns a pipeline loaded, from its real dlt schema.

The table reference (docs/tables.md) is this command's Markdown for a demo sync, between
`<!-- schema:start -->` and `<!-- schema:end -->`; a test keeps them equal. Regenerate it
after a schema change with:

    .venv/bin/python -m pipelines.reporting.schema_doc --update docs/tables.md
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlt.common.schema import Schema

START_MARKER = "<!-- schema:start -->"
END_MARKER = "<!-- schema:end -->"
# The demo sync the table reference (docs/tables.md) is generated from (small enough for a test).
REFERENCE_SCALE = "tiny"
REFERENCE_SEED = 1


@dataclass
class ColumnDoc:
    name: str
    data_type: str
    note: str


@dataclass
class TableDoc:
    name: str
    loading: str  # how rows arrive: "replaced each run", "upsert on `id`", "nested in …"
    columns: list[ColumnDoc]


def _loading(schema: Schema, table: dict) -> str:
    parent = table.get("parent")
    if parent:
        return f"nested in `{parent}`: replaced with its parent row"
    disposition = table.get("write_disposition", "append")
    if disposition == "merge":
        keys = [c["name"] for c in table["columns"].values() if c.get("primary_key")]
        strategy = table.get("x-merge-strategy", "merge")
        return f"{strategy} on {', '.join(f'`{k}`' for k in keys) or 'no key'}"
    if disposition == "replace":
        return "replaced each run"
    return disposition


def _column_note(column: dict) -> str:
    notes = []
    if column.get("primary_key"):
        notes.append("primary key")
    if column.get("nullable") is False:
        notes.append("not null")
    return ", ".join(notes)


def describe(schema: Schema) -> list[TableDoc]:
    """Every table that received data, sorted by name (nested tables follow their parent);
    columns with the primary key first, then by name; dlt's bookkeeping columns left out."""
    docs = []
    for name in sorted(schema.data_table_names(seen_data_only=True)):
        table = schema.tables[name]
        columns = [c for c in table["columns"].values() if not c["name"].startswith("_dlt")]
        columns.sort(key=lambda c: (not c.get("primary_key"), c["name"]))
        docs.append(
            TableDoc(
                name=name,
                loading=_loading(schema, table),
                columns=[
                    ColumnDoc(c["name"], c.get("data_type", "unknown"), _column_note(c))
                    for c in columns
                ],
            )
        )
    return docs


def render_text(tables: list[TableDoc]) -> str:
    lines = []
    for table in tables:
        lines.append(f"{table.name}  ({table.loading})")
        width = max((len(c.name) for c in table.columns), default=0)
        for column in table.columns:
            note = f"  {column.note}" if column.note else ""
            lines.append(f"  {column.name:<{width}}  {column.data_type}{note}".rstrip())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(tables: list[TableDoc]) -> str:
    lines = []
    for table in tables:
        lines += [
            f"#### `{table.name}`",
            "",
            table.loading[0].upper() + table.loading[1:] + ".",
            "",
        ]
        lines += ["| column | type | note |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.data_type} | {c.note} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render(schema: Schema, fmt: str = "text") -> str:
    tables = describe(schema)
    return render_markdown(tables) if fmt == "markdown" else render_text(tables)


def print_schema(pipeline_name: str, pipelines_dir: str | None, fmt: str) -> int:
    """Render the schema kept in the pipeline's local state (no destination access)."""
    from pipelines.errors import ConfigError
    from pipelines.exit_codes import ExitCode
    from pipelines.run.construct import attach_existing

    pipeline = attach_existing(pipeline_name, pipelines_dir)
    if not pipeline.default_schema_name:
        raise ConfigError(f"pipeline '{pipeline_name}' has not loaded anything yet")
    sys.stdout.write(render(pipeline.default_schema, fmt))
    return ExitCode.OK


def reference_section(text: str) -> str | None:
    """The generated part of the reference (between the markers), or None without markers."""
    match = re.search(re.escape(START_MARKER) + r"\n(.*?)" + re.escape(END_MARKER), text, re.DOTALL)
    return match.group(1) if match else None


def replace_reference_section(text: str, section: str) -> str:
    if reference_section(text) is None:
        raise ValueError(f"no {START_MARKER} … {END_MARKER} section in the reference file")
    start = text.index(START_MARKER) + len(START_MARKER) + 1
    end = text.index(END_MARKER)
    return text[:start] + section + text[end:]


def demo_schema_markdown(work_dir: Path) -> str:
    """The Markdown reference from a demo sync of the emulator (what docs/tables.md holds)."""
    import dlt

    from pipelines.run.demo import DEMO_PIPELINE, sync_emulator

    pipelines_dir = work_dir / "pipelines"
    sync_emulator(work_dir / "demo.duckdb", REFERENCE_SCALE, REFERENCE_SEED, str(pipelines_dir))
    pipeline = dlt.attach(pipeline_name=DEMO_PIPELINE, pipelines_dir=str(pipelines_dir))
    return render(pipeline.default_schema, "markdown")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the table reference (docs/tables.md).")
    parser.add_argument(
        "--update", type=Path, required=True, help="the reference file to rewrite (docs/tables.md)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="intercom-schema-") as tmp:
        section = demo_schema_markdown(Path(tmp))
    args.update.write_text(replace_reference_section(args.update.read_text(), section))
    print(f"updated the table reference in {args.update}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
