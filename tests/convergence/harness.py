"""Run the `intercom` source in-process against an emulator, into a DuckDB file under a tmp dir
loaded as `intercom-sync` loads it (`tests/helpers/duckdb_pipeline.py`), or into SQLite, which
merges by delete-insert (`destination="sqlite"`).

`InProcessSync(emu, root, deletes="soft"|"hard")` is the `sync(reconcile)` callable of a
`Scenario`: one dlt pipeline (state kept between calls, like the CLI's) and a client with short
retry waits so that injected faults cost milliseconds, not seconds. The retry *policy* is the
product's; only its waits are shortened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

from pipelines.run.load import partially_loaded
from sources.intercom import intercom
from sources.intercom.client import IntercomClient
from sources.intercom.settings import OPTIONAL_RESOURCES
from tests.convergence.compare import Reader, pipeline_reader
from tests.helpers.duckdb_pipeline import duckdb_pipeline
from tests.helpers.retries import SHORT_BACKOFF_S

DATASET = "intercom_data"  # differs from the DuckDB file stem (DLT-NOTES)
FAST_RETRIES: dict[str, Any] = {
    **SHORT_BACKOFF_S,
    "scroll_wait_s": 0.2,
    "timeout": 2.0,
}


class InProcessSync:
    def __init__(
        self,
        emu: Any,
        root: Path,
        *,
        api_version: str = "2.16",
        destination: str = "duckdb",
        deletes: str = "soft",
        **client_kwargs: Any,
    ):
        self.emu = emu
        self.deletes = deletes
        self.api_version = api_version
        self.client_kwargs = {**FAST_RETRIES, **client_kwargs}
        if destination == "sqlite":  # one writer at a time: set LOAD__WORKERS=1 around it
            target = dlt.destinations.sqlalchemy(f"sqlite:///{root / 'warehouse.sqlite'}")
            self.merge_strategy, self.file_format = "delete-insert", None
            self.pipeline = dlt.pipeline(
                pipeline_name="convergence",
                pipelines_dir=str(root / "pipelines"),
                destination=target,
                dataset_name=DATASET,
            )
        else:
            self.merge_strategy, self.file_format = "upsert", "parquet"
            self.pipeline = duckdb_pipeline(
                "convergence", root / "pipelines", root / "warehouse.duckdb", DATASET
            )
        self.requests = 0
        self.retries = 0

    @property
    def read(self) -> Reader:
        return pipeline_reader(self.pipeline)

    def __call__(self, reconcile: bool = False) -> None:
        client = IntercomClient(
            self.emu.token,
            base_url=self.emu.base_url,
            api_version=self.api_version,
            **self.client_kwargs,
        )
        try:
            # As the CLI does after an interrupted run (pipelines/run/sync.py).
            if self.pipeline.has_pending_data and partially_loaded(self.pipeline):
                self.pipeline.abort_packages()
            if self.pipeline.has_pending_data:
                self.pipeline.run()
            source = intercom(
                client=client,
                reconcile=reconcile,
                include=list(OPTIONAL_RESOURCES),  # opt-ins on: compared where served (2.16)
                merge_strategy=self.merge_strategy,
                deletes=self.deletes,
            )
            info = self.pipeline.run(source, loader_file_format=self.file_format)
            info.raise_on_failed_jobs()
        finally:
            self.requests += client.stats.requests
            self.retries += client.stats.retries
            client.close()
