"""Drop dlt's staging dataset (`<dataset>_staging`) once a load has merged it.

A merge copies every extracted row of the merged tables into a second dataset next to the
data, `intercom_raw_staging`, and merges from there; dlt then keeps that dataset with one
(empty, `load.truncate_staging_dataset`) table per merged table. Analysts browsing the
warehouse found ~19 empty look-alike tables beside the real ones. dlt recreates the dataset
at the start of the next load that merges, so between loads nothing of it needs to exist.

Kept when the user asks dlt to keep the staging copy (`truncate_staging_dataset = false`,
e.g. to debug a merge): then its rows are the point.
"""

from __future__ import annotations

import logging

import dlt

from sources.intercom.settings import destination_kind

log = logging.getLogger(__name__)

# Destinations whose merges go through a staging dataset of their own (SQL warehouses).
_NO_STAGING_DATASET = frozenset({"filesystem"})


def keeps_staging_copy() -> bool:
    """Whether the resolved dlt configuration keeps the staging rows after a load."""
    return not dlt.config.get("load.truncate_staging_dataset", bool)


def drop_staging_dataset(pipeline: dlt.Pipeline) -> bool:
    """Drop the pipeline's staging dataset if it exists; True if one was dropped. Never fails
    a sync: the data is loaded already (a leftover dataset is only noise)."""
    if destination_kind(pipeline) in _NO_STAGING_DATASET or keeps_staging_copy():
        return False
    try:
        with pipeline.sql_client() as client, client.with_staging_dataset():
            if not client.has_dataset():
                return False
            client.drop_dataset()
        return True
    except Exception as exc:  # noise left behind, not data lost
        log.warning("could not drop the staging dataset: %s", exc)
        return False
