"""Sensors of the events domain.

- ``events_files_sensor``: lists ``EVENTS_URL`` against the lake's commit records and asks for
  a run of the events assets (what ``events_refresh`` runs) when a file is new or rewritten (run key = the pending set, so a
  tick never queues the same work twice, and none while its last run still waits in the queue);
- ``events_stream_sensor``: the stream consumer, run in the long-lived code server every tick
  (when ``EVENTS_NATS_URL`` is set): it consumes micro-batches for up to
  ``EVENTS_STREAM_TICK_SECONDS`` (default 20 s), acknowledging each batch only once it is
  committed to the lake, and reports the landed batches and their reconciliation. For a
  dedicated process instead, run ``python -m loaders.events stream --forever``.
"""

import asyncio

import dagster as dg

from loaders.events.files import pending_files
from loaders.events.lake import Lake
from loaders.events.settings import EventsSettings
from loaders.events.stream import consume
from loaders.incremental_files import Landing
from orchestration.defs.events.assets import (
    LAKE_EVENTS,
    LAKE_HOURS,
    check_batches,
    events_lake_land,
)
from orchestration.lib.sensors import queued_skip, run_key, skip_when_busy
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS
from tributary.warehouse import pin_data_dir


@dg.sensor(
    name="events_files_sensor",
    asset_selection=dg.AssetSelection.groups("events") - dg.AssetSelection.assets(LAKE_HOURS),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests an events_refresh run when files are new or rewritten in EVENTS_URL.",
)
def events_files_sensor(context: dg.SensorEvaluationContext):
    pin_data_dir()
    pending, listed = pending_files(Landing(EventsSettings().url), Lake())
    if not pending:
        return dg.SkipReason(f"no new files among {listed} listed")
    if waiting := queued_skip(context.instance, "events_files_sensor"):
        return dg.SkipReason(waiting)
    return dg.RunRequest(
        run_key=run_key(pending, prefix="events-files-"),
        # The run builds dbt models in the warehouse: one writer at a time, like every refresh.
        tags={**WAREHOUSE_WRITER_TAGS, "events/pending_files": str(len(pending))},
    )


@dg.sensor(
    name="events_stream_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    asset_selection=[events_lake_land],
    description="Consumes the NATS subject in micro-batches into the lake (see module docstring).",
)
@skip_when_busy("the lake writer lock is held; retrying next tick")
def events_stream_sensor(context: dg.SensorEvaluationContext):
    if not EventsSettings().nats_url:
        return dg.SkipReason("EVENTS_NATS_URL is not set")
    pin_data_dir()
    seconds = EventsSettings().stream_tick_seconds
    load = asyncio.run(consume(max_seconds=seconds, lock_timeout=2.0))
    if not load.batches:
        return dg.SkipReason("no messages")
    check = check_batches(load.batch_ids, LAKE_EVENTS)
    meta = {
        "batches": len(load.batches),
        "acked": load.acked,
        "landed": sum(b.landed for b in load.batches),
        "duplicates": sum(b.duplicates for b in load.batches),
        "quarantined": sum(b.quarantined for b in load.batches),
    }
    return dg.SensorResult(
        asset_events=[
            dg.AssetMaterialization(asset_key=LAKE_EVENTS, metadata=meta),
            dg.AssetCheckEvaluation(
                asset_key=LAKE_EVENTS,
                check_name=check.check_name,
                passed=check.passed,
                metadata=check.metadata,
            ),
        ]
    )
