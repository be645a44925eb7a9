"""Whether, and where, the transform builds the Fivetran-shaped schema (issue 22).

`analytics/models/fivetran` are views named and shaped like Fivetran's Intercom tables, so
that Fivetran's `dbt_intercom` package runs unchanged on this warehouse
(docs/moving-from-fivetran.md). They are built on request: `--fivetran-schema [NAME]` on
`run --transform` and `report --build-models`, or `[transform] fivetran_schema = true` (or a
schema name) in `.dlt/config.toml`.
"""

from __future__ import annotations

import re

import dlt

from pipelines.errors import ConfigError

CONFIG_KEY = "transform.fivetran_schema"
# A schema name both destinations take unquoted (dbt quotes nothing in `+schema`).
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def fivetran_dataset_name(dataset: str) -> str:
    """The default schema of the views: `<dataset>_fivetran`."""
    return f"{dataset}_fivetran"


def resolve_fivetran_schema(option: str | bool | None, dataset: str) -> str | None:
    """The schema to build the views in, or None (not asked for).

    option: `--fivetran-schema` (True without a name, the name with one, None when absent);
    absent, `[transform] fivetran_schema` decides (true, false or a name)."""
    value = option if option is not None else dlt.config.get(CONFIG_KEY)
    if value is None or value is False:
        return None
    if value is True:
        return fivetran_dataset_name(dataset)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        # an environment variable (TRANSFORM__FIVETRAN_SCHEMA) arrives as text
        return fivetran_dataset_name(dataset) if value.strip().lower() == "true" else None
    name = str(value).strip()
    if not _SCHEMA_NAME.fullmatch(name):
        raise ConfigError(
            f"fivetran schema {name!r} is not a plain schema name: use letters, digits and "
            "underscores, starting with a letter (e.g. --fivetran-schema intercom_fivetran)"
        )
    return name
