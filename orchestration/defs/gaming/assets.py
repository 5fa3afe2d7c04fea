"""Game events: the dlt load, the dbt models on top of it, and the serving snapshot."""

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.gaming import pipeline as gaming
from loaders.gaming.landing import Landing
from loaders.gaming.source import gaming_events_source
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.domain import domain_dbt_assets, reconciliation_check, serving_snapshot_asset
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary.locking import warehouse_lock

GROUP = "gaming"
RAW_EVENTS = dg.AssetKey(["gaming_raw", "events"])
SERVING = dg.AssetKey(["serving", "gaming"])


@dlt_assets(
    dlt_source=gaming_events_source(),
    dlt_pipeline=gaming.pipeline(),
    name="gaming_raw",
    dagster_dlt_translator=WarehouseDltTranslator(gaming.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def gaming_raw(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """Read every new or rewritten file in ``GAMING_EVENTS_URL`` and load it with dlt."""
    pin_data_dir()
    with warehouse_lock():
        plan = gaming.plan_load(Landing())
        context.log.info(
            "%d files listed, %d pending (%d rewritten)",
            plan.listed,
            len(plan.pending),
            len(plan.rewritten),
        )
        yield from dlt.run(context, dlt_source=plan.source(), dlt_pipeline=gaming.pipeline())
        context.log.info(
            "read %d lines: %d valid, %d quarantined, in %d batches",
            plan.lines_read,
            plan.valid,
            plan.quarantined,
            len(plan.batch_ids),
        )


gaming_lines_reconcile = reconciliation_check(
    RAW_EVENTS,
    gaming.reconcile,
    "Every line read is a valid event or quarantined, and exactly those rows landed.",
)


gaming_dbt = domain_dbt_assets(
    "gaming",
    "Staging, intermediate and mart models of the gaming domain, with their tests.",
)


gaming_serving_snapshot = serving_snapshot_asset(
    GROUP,
    [dg.AssetKey(["gaming", "revenue"]), dg.AssetKey(["gaming", "user_events"])],
    gaming.publish_serving,
)
