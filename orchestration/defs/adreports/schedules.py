"""The daily pull: yesterday plus the lookback window, one run per day.

Re-pulling the last ``ADREPORTS_LOOKBACK_DAYS`` days every day is what heals late-arriving
and revised data: the merge on the natural key replaces each re-pulled day.
"""

import datetime as dt

import dagster as dg

from loaders.adreports.settings import AdreportsSettings
from orchestration.defs.adreports.jobs import adreports_daily_job


def partition_days(scheduled: dt.date, lookback: int) -> list[dt.date]:
    """The days a run scheduled on ``scheduled`` pulls, oldest first."""
    last = scheduled - dt.timedelta(days=1)
    return [last - dt.timedelta(days=i) for i in range(lookback, -1, -1)]


@dg.schedule(
    name="adreports_daily_schedule",
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    job=adreports_daily_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 UTC: pull yesterday and re-pull the lookback window (default 3 days).",
)
def adreports_daily_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    scheduled = context.scheduled_execution_time.date()
    return [
        dg.RunRequest(run_key=f"{day}@{scheduled}", partition_key=day.isoformat())
        for day in partition_days(scheduled, AdreportsSettings().lookback_days)
    ]
