"""The real-time product features (scenario 4) in Dagster.

- ``events_features/online_store``: the online feature store (Redis or embedded SQLite) the
  features consumer maintains from the stream; not materialised by a run — the
  ``events_features_sensor`` reports each tick's progress as its materialisation;
- ``events_features_sensor``: when ``EVENTS_NATS_URL`` is set, each tick runs the features
  consumer (its own durable, ``EVENTS_FEATURES_DURABLE``) for up to
  ``EVENTS_STREAM_TICK_SECONDS``, like the lake's stream sensor. The dedicated process
  (``python -m loaders.events features --follow``, started by ``make serve``) can run at the
  same time: both apply exactly once (see ``tributary/features/store.py``);
- the check ``features_agree_with_online_store`` on the dbt model
  ``events.events_product_features`` (the same windows recomputed from the lake at a cut-off):
  a sample of products read from the online store at that cut-off must match it exactly.
"""

import asyncio

import dagster as dg

from loaders.events.features import consume_features
from loaders.events.features_check import compare
from loaders.events.settings import EventsSettings
from orchestration.lib.warehouse import WarehouseResource
from tributary.features.store import open_store
from tributary.warehouse import pin_data_dir

ONLINE_STORE = dg.AssetKey(["events_features", "online_store"])
OFFLINE_FEATURES = dg.AssetKey(["events", "events_product_features"])

online_store = dg.AssetSpec(
    ONLINE_STORE,
    group_name="events",
    kinds={"redis", "sqlite"},
    description="Per-product impressions, likes and conversations in the last hour, day and "
    "week, kept by the features consumer from the events stream; served by /features.",
)


@dg.sensor(
    name="events_features_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Applies the NATS subject to the online feature store (see module docstring).",
)
def events_features_sensor(context: dg.SensorEvaluationContext):
    settings = EventsSettings()
    if not settings.nats_url:
        return dg.SkipReason("EVENTS_NATS_URL is not set")
    pin_data_dir()
    load = asyncio.run(consume_features(follow=True, max_seconds=settings.stream_tick_seconds))
    if not load.batches:
        return dg.SkipReason("no messages")
    applied = load.applied
    return dg.SensorResult(
        asset_events=[
            dg.AssetMaterialization(
                asset_key=ONLINE_STORE,
                metadata={
                    "batches": load.batches,
                    "acked": load.acked,
                    "counted": applied.counted,
                    "duplicates": applied.duplicates,
                    "redelivered_skipped": applied.redelivered,
                    "ignored": applied.ignored,
                    "expired": applied.expired,
                    "ahead_of_clock": applied.ahead,
                    "last_sequence": applied.last_sequence,
                },
            )
        ]
    )


@dg.asset_check(
    asset=OFFLINE_FEATURES,
    name="features_agree_with_online_store",
    additional_deps=[ONLINE_STORE],
    description="A sample of products: the online store read at the model's cut-off equals "
    "the windows recomputed from the lake (any difference fails).",
)
def features_agree_with_online_store(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    store = open_store()
    try:
        with warehouse.connect(read_only=True) as con:
            result = compare(con, store)
    finally:
        store.close()
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())
