"""A record that changes while a sync pages through it is served twice in that run (old
version on an early page, new version on a later one). The warehouse must still end with one
row per id holding the newest version — after that run (no duplicate key) and after the next
(no stale row that the cursor believes loaded)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from sources.intercom import intercom
from tests.convergence.compare import compare_warehouse
from tests.convergence.harness import InProcessSync


def _sync(sync: InProcessSync, resource: str, page_size: int) -> None:
    from sources.intercom.client import IntercomClient

    client = IntercomClient(sync.emu.token, base_url=sync.emu.base_url, **sync.client_kwargs)
    try:
        source = intercom(client=client, page_size=page_size).with_resources(resource)
        sync.pipeline.run(source, loader_file_format="parquet").raise_on_failed_jobs()
    finally:
        client.close()


@pytest.mark.parametrize("resource", ["contacts", "companies"])
def test_changed_while_paging_is_loaded_once_and_newest_wins(resource: str, tmp_path: Path):
    # Companies: the scroll keeps records in place, but a restart (after a 500) serves the
    # ones changed since again.
    settings = (
        {
            "scroll_page_size": 10,
            "faults": {"GET /companies/scroll": {"scroll_error_rate": 0.1}},
        }
        if resource == "companies"
        else {}
    )
    with running_emulator(WorldConfig(seed=8, scale="tiny"), **settings) as emu:
        sync = InProcessSync(emu, tmp_path)
        emu.control.update({"mutate_during_pagination": 4})
        # A first run (new ids), then one where many known ids changed before and during it.
        for _ in range(2):
            _sync(sync, resource, page_size=10)
            ids = Counter(str(row["id"]) for row in sync.read(resource))
            assert [id_ for id_, n in ids.items() if n > 1] == [], "one row per id"
            emu.advance(86400, intensity=3)
        emu.control.update({"mutate_during_pagination": 0})
        _sync(sync, resource, page_size=10)  # the next quiet run converges
        with emu.control.lock:
            report = compare_warehouse(sync.read, emu.world, entities=[resource], lookups=False)
        assert report.problems == []
