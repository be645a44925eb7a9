"""dlt's runtime helpers without public names: where pipelines live, the file names dlt
accepts, dlt's date parser, and a `Venv` for this very interpreter."""

from __future__ import annotations

import datetime as dt
import os
import sys
import types
from typing import Any

from dlt.common import pendulum
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.common.runners import Venv
from dlt.common.storages import FileStorage
from dlt.common.time import ensure_pendulum_datetime


def default_pipelines_dir() -> str:
    """The folder dlt keeps pipelines in when none is given (`~/.dlt/pipelines`,
    `/var/dlt/pipelines` as root, or `DLT_DATA_DIR`)."""
    return get_dlt_pipelines_dir()


def check_file_name_component(name: str) -> None:
    """Raise ValueError unless `name` is one file name dlt accepts (a pipeline name names a
    folder and files)."""
    FileStorage.validate_file_name_component(name)


def parse_datetime(value: str | int | float | dt.date | dt.datetime) -> pendulum.DateTime:
    """dlt's reading of a date or time, in UTC: an ISO 8601 date (its midnight) or datetime
    (naive meaning UTC, an offset shifted to UTC), or Unix seconds. Raises ValueError for
    text that is none of these."""
    return ensure_pendulum_datetime(value)


def venv_of_this_interpreter() -> Any:
    """A dlt `Venv` that runs `python` as this interpreter: dlt's `restore_current` runs the
    `python` on PATH, which may be another one (without dbt). dlt's runners resolve commands
    in the context's `bin_path`."""
    bin_path = os.path.dirname(sys.executable)
    if os.path.exists(os.path.join(bin_path, "python")):
        return Venv(types.SimpleNamespace(bin_path=bin_path, env_exe=sys.executable), True)
    return Venv.restore_current()
