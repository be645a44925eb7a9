"""Running a sync: its options, the dlt pipeline it builds, the run itself, backfills, the demo."""
