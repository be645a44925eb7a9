"""Sync Intercom from Airflow with dlt's `PipelineTasksGroup` (copy into your `dags/` folder).

- The token and destination credentials come from dlt's config; in Airflow put the
  `secrets.toml` content into the Airflow Variable `dlt_secrets_toml`, e.g.
  `[sources.intercom] access_token = "…"` and `[destination.postgres] credentials = "…"`.
- `wipe_local_data=True`: every task starts without local state; dlt restores the pipeline
  state (our cursors) from the destination, so use a shared warehouse, not a local DuckDB file.
- `max_active_runs=1` does what `intercom-sync`'s file lock does elsewhere: one run at a time.
- `decompose="none"`: one task for the whole source; the contacts/companies/conversations
  resources share one client and its rate-limit pacing.
- Install this project (`pip install intercom-sync` from the repository) where the workers run.
  This runs the dlt source directly, not the `intercom-sync` command: its run history (for
  `intercom-sync status`), lock and delta link pruning are not involved — Airflow's own task
  history and `max_active_runs` stand in; for a delta lake, run `intercom-sync run` from a
  BashOperator instead.
"""

from __future__ import annotations

import datetime as dt

import dlt
import pendulum
from airflow.decorators import dag
from dlt.helpers.airflow_helper import PipelineTasksGroup

DEFAULT_TASK_ARGS = {
    "owner": "data",
    "retries": 0,  # the source retries requests itself; a failed load is finished next run
    "execution_timeout": dt.timedelta(hours=2),
}


@dag(
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_TASK_ARGS,
    tags=["intercom", "dlt"],
)
def intercom_sync() -> None:
    from sources.intercom import intercom

    tasks = PipelineTasksGroup(
        "intercom",
        use_data_folder=False,
        wipe_local_data=True,
        use_task_logger=True,
    )
    pipeline = dlt.pipeline(
        pipeline_name="intercom",
        dataset_name="intercom_raw",
        destination="postgres",
        progress="log",
    )
    tasks.add_run(
        pipeline,
        intercom(),
        decompose="none",
        trigger_rule="all_done",
        retries=0,
        provide_context=True,
    )


intercom_sync()
