"""Player events: the dlt load, the dbt models on top of it, and the serving snapshot."""

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.players import pipeline as players
from loaders.players.source import players_events_source
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.domain import domain_dbt_assets, reconciliation_check, serving_snapshot_asset
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary.locking import warehouse_lock

GROUP = "players"
RAW_EVENTS = dg.AssetKey(["players_raw", "events"])
SERVING = dg.AssetKey(["serving", "players"])
SERVED_MARTS = ["registration_data", "session_data", "match_data", "game_stats"]


@dlt_assets(
    dlt_source=players_events_source(),
    dlt_pipeline=players.pipeline(),
    name="players_raw",
    dagster_dlt_translator=WarehouseDltTranslator(players.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def players_raw(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """Read every new or rewritten file in ``PLAYERS_EVENTS_URL`` (and the time-zone file) and
    load it with dlt."""
    pin_data_dir()
    with warehouse_lock():
        plan = players.plan_load()
        context.log.info(
            "%d files listed, %d pending (%d rewritten)",
            plan.listed,
            len(plan.pending),
            len(plan.rewritten),
        )
        yield from dlt.run(context, dlt_source=plan.source(), dlt_pipeline=players.pipeline())
        context.log.info(
            "read %d lines: %d events, %d quarantined at load, in %d batches",
            plan.lines_read,
            plan.valid,
            plan.quarantined,
            len(plan.batch_ids),
        )


players_lines_reconcile = reconciliation_check(
    RAW_EVENTS,
    players.reconcile,
    "Every line read is an event or quarantined at load, and exactly those rows landed.",
)


players_dbt = domain_dbt_assets(
    "players",
    "Staging, cleaning, sessionisation and mart models of the players domain, with their tests.",
)


players_serving_snapshot = serving_snapshot_asset(
    GROUP,
    [dg.AssetKey(["players", name]) for name in SERVED_MARTS],
    players.publish_serving,
)
