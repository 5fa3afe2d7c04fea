"""Job and schedule of the location domain."""

import dagster as dg

from orchestration.lib.domain import refresh_job
from orchestration.lib.sensors import no_run_queued
from tributary.location.settings import LocationSettings

# Load the changed minutes, check them, rebuild the marts.
location_refresh_job = refresh_job(
    "location",
    "Load the minutes changed in the location store, rebuild the location marts.",
)

location_refresh_schedule = dg.ScheduleDefinition(
    name="location_refresh_schedule",
    job=location_refresh_job,
    cron_schedule=LocationSettings().refresh_cron,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    # A run still queued reads every change up to its start: a second one would find nothing.
    should_execute=no_run_queued("location_refresh_schedule"),
    description="Every 5 minutes (LOCATION_REFRESH_CRON): the API writes continuously, the "
    "warehouse follows in batches. A tick is skipped while the previous run still waits.",
)
