"""Drop dlt's staging dataset (`<dataset>_staging`) once a load has merged it.

A merge copies every extracted row of the merged tables into a second dataset next to the
data, `intercom_raw_staging`, and merges from there; dlt then keeps that dataset with one
(empty, `load.truncate_staging_dataset`) table per merged table. Analysts browsing the
warehouse found ~19 empty look-alike tables beside the real ones. dlt recreates the dataset
at the start of the next load that merges, so between loads nothing of it needs to exist.

Kept when the user asks dlt to keep the staging copy (`truncate_staging_dataset = false`,
e.g. to debug a merge): then its rows are the point.

On the filesystem destination dlt 1.31 leaves an empty `<dataset>_staging` folder (after a
`--full-refresh`, or any load of a version that emptied staging there), and a `--full-refresh`
fails on it ("No such file … _staging/_dlt_version"): it is dropped too, also before a refresh.
"""

from __future__ import annotations

import logging

import dlt

from sources.intercom.dlt_compat import drop_staging_dataset as drop_staging
from sources.intercom.settings import destination_kind

log = logging.getLogger(__name__)


def keeps_staging_copy() -> bool:
    """Whether the resolved dlt configuration keeps the staging rows after a load (unset
    only on filesystem, which keeps none: dlt_defaults.py)."""
    return dlt.config.get("load.truncate_staging_dataset", bool) is False


def drop_staging_dataset(pipeline: dlt.Pipeline) -> bool:
    """Drop the pipeline's staging dataset if it exists; True if one was dropped. Never fails
    a sync: the data is loaded already (a leftover dataset is only noise)."""
    if keeps_staging_copy():
        return False
    try:
        return drop_staging(pipeline, filesystem=destination_kind(pipeline) == "filesystem")
    except Exception as exc:  # noise left behind, not data lost
        log.warning("could not drop the staging dataset: %s", exc)
        return False
