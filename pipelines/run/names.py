"""Checks of the names a user gives: the pipeline's and the dataset's.

A pipeline name becomes a folder and file names under the pipelines folder, so it must be
one valid file name (dlt's own rule): `../x` would write the run history outside it. A
dataset name becomes a schema in the warehouse; dlt renames one its naming convention does
not keep as is (`Acme` -> `acme`, `acme-prod` -> `acme_prod`) and only warns, while the
dbt models and `report` would look for the name given.
"""

from __future__ import annotations

from dlt.common.normalizers.naming.snake_case import NamingConvention

from pipelines.errors import ConfigError
from sources.intercom.dlt_compat import check_file_name_component

_NAMING = NamingConvention()


def check_pipeline_name(name: str) -> str:
    try:
        check_file_name_component(name)
    except ValueError:
        raise ConfigError(
            f"pipeline name {name!r} is not a valid file name (it names the pipeline's folder "
            "and files); use letters, digits, '_' and '-'"
        ) from None
    return name


def check_dataset_name(name: str) -> str:
    normalized = _NAMING.normalize_table_identifier(name) if name.strip() else ""
    if normalized != name:
        suggestion = f"; did you mean {normalized!r}?" if normalized else ""
        raise ConfigError(
            f"dataset name {name!r} would be renamed by dlt (it becomes a schema name); use "
            f"lowercase letters, digits and '_', not starting with a digit{suggestion}"
        )
    return name
