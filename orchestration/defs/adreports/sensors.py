"""The alert hook: failed completeness checks (and failed pulls) → ``ADREPORTS_ALERT_WEBHOOK_URL``.

Every tick reads the newest evaluations of the four checks on ``adreports_raw/report_rows``,
and POSTs one JSON message per new failed evaluation::

    {"source": "tributary.adreports", "kind": "check_failed", "check": "...",
     "severity": "ERROR", "run_id": "...", "failing_days": "...", "detail": "..."}

A failed run of an adreports job (auth refused, provider still down after the retries) is sent
the same way with ``"kind": "run_failed"``. The cursor holds the newest evaluation id already
seen per check, so each failure is sent once. With no webhook configured the sensors skip.
"""

import json
import urllib.request

import dagster as dg

from loaders.adreports.completeness import CHECKS
from loaders.adreports.settings import AdreportsSettings
from orchestration.defs.adreports.assets import REPORT_ROWS
from orchestration.defs.adreports.jobs import adreports_daily_job, adreports_refresh_job


def send_alert(url: str, message: dict) -> None:
    """POST ``message`` as JSON; raises on a non-2xx answer so the tick shows the error."""
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _text(value) -> str:
    return str(getattr(value, "value", getattr(value, "text", value)))


@dg.sensor(
    name="adreports_check_alert_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs every failed adreports completeness check to ADREPORTS_ALERT_WEBHOOK_URL.",
)
def adreports_check_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason | None:
    url = AdreportsSettings().alert_webhook_url
    if not url:
        return dg.SkipReason("ADREPORTS_ALERT_WEBHOOK_URL is not set")
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    sent = 0
    for name in CHECKS:
        key = dg.AssetCheckKey(REPORT_ROWS, name)
        records = context.instance.event_log_storage.get_asset_check_execution_history(
            key, limit=50
        )
        last = seen.get(name, 0)
        for record in sorted(records, key=lambda r: r.id):
            evaluation = record.event.dagster_event.event_specific_data if record.event else None
            if record.id <= last or getattr(evaluation, "passed", True):
                continue
            metadata = getattr(evaluation, "metadata", {}) or {}
            send_alert(
                url,
                {
                    "source": "tributary.adreports",
                    "kind": "check_failed",
                    "check": f"{REPORT_ROWS.to_user_string()}:{name}",
                    "severity": getattr(getattr(evaluation, "severity", None), "value", "ERROR"),
                    "run_id": record.run_id,
                    "failing_days": _text(metadata.get("failing_days", "")),
                    "detail": _text(metadata.get("detail", "")),
                },
            )
            sent += 1
        if records:
            seen[name] = max([last, *(r.id for r in records)])
    context.update_cursor(json.dumps(seen))
    if not sent:
        return dg.SkipReason("no new failed checks")
    context.log.info("sent %d alerts", sent)
    return None


@dg.run_failure_sensor(
    name="adreports_run_failure_alert_sensor",
    monitored_jobs=[adreports_daily_job, adreports_refresh_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs every failed adreports run (e.g. credentials refused) to the webhook.",
)
def adreports_run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    url = AdreportsSettings().alert_webhook_url
    if url:
        step_errors = [
            e.event_specific_data.error.message.strip()
            for e in context.get_step_failure_events()
            if e.event_specific_data and e.event_specific_data.error
        ]
        send_alert(
            url,
            {
                "source": "tributary.adreports",
                "kind": "run_failed",
                "job": context.dagster_run.job_name,
                "run_id": context.dagster_run.run_id,
                "partition": context.dagster_run.tags.get("dagster/partition"),
                "error": "; ".join(step_errors) or context.failure_event.message,
            },
        )
