"""Every touch of dlt's private internals, in one place.

dlt is pinned `<1.32` because of what is here: a dlt upgrade means reviewing this package, and
`tests/sources/test_dlt_compat.py` has one test per touch that fails loudly when dlt changes it
(and a test that finds dlt internals used anywhere else in the repo). By topic:

- `resources`: a resource's hints, table variants, bare nested tables (with a patch of
  `Extract._compute_metrics`) and generator;
- `row_ids`: dlt's `_dlt_id`s, made for rows shaped into Arrow ourselves;
- `schema`: schema helpers (merge strategy, root table);
- `config`: a configuration provider of our own, after dlt's;
- `progress`: progress collectors (dlt's `_start`/`_stop`, `LogCollector`'s counters);
- `destinations`: the stored state and schema, the staging dataset, cursors, delta tables;
- `runtime`: the pipelines folder, file names, dlt's date parser, a `Venv`;
- `hot_paths`: dlt functions the CPU breakdown (bench) times;
- `type_hints`: dlt's checks of configuration type hints, remembered per hint.
"""

from __future__ import annotations

from sources.intercom.dlt_compat.config import register_config_provider
from sources.intercom.dlt_compat.destinations import (
    committed_pipeline_state,
    cursor_column_names,
    drop_staging_dataset,
    has_dataset,
    open_delta_table,
    store_schema_in_destination,
)
from sources.intercom.dlt_compat.hot_paths import DLT_HOT_PATHS
from sources.intercom.dlt_compat.progress import (
    ForwardingCollector,
    PeriodicCounts,
    ProgressCollector,
)
from sources.intercom.dlt_compat.resources import (
    GeneratorWrapper,
    declare_bare_nested_table,
    resource_hints,
    table_variants,
    variant_table_schema,
    wrap_generator,
)
from sources.intercom.dlt_compat.row_ids import key_row_id, nested_row_id, random_row_id
from sources.intercom.dlt_compat.runtime import (
    check_file_name_component,
    default_pipelines_dir,
    parse_datetime,
    venv_of_this_interpreter,
)
from sources.intercom.dlt_compat.schema import merge_strategy_of, root_table_of
from sources.intercom.dlt_compat.type_hints import remember_type_hint_checks

__all__ = [
    "DLT_HOT_PATHS",
    "ForwardingCollector",
    "GeneratorWrapper",
    "PeriodicCounts",
    "ProgressCollector",
    "check_file_name_component",
    "committed_pipeline_state",
    "cursor_column_names",
    "declare_bare_nested_table",
    "default_pipelines_dir",
    "drop_staging_dataset",
    "has_dataset",
    "key_row_id",
    "merge_strategy_of",
    "nested_row_id",
    "open_delta_table",
    "parse_datetime",
    "random_row_id",
    "register_config_provider",
    "remember_type_hint_checks",
    "resource_hints",
    "root_table_of",
    "store_schema_in_destination",
    "table_variants",
    "variant_table_schema",
    "venv_of_this_interpreter",
    "wrap_generator",
]
