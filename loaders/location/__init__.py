"""Location minute averages: the operational store → ``location_raw.minutes`` (dlt, incremental)."""
