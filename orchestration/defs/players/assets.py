"""Player events: the dlt load, the dbt models on top of it, and the serving snapshot."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.common import open_warehouse
from loaders.players import pipeline as players
from loaders.players.source import players_events_source
from orchestration.lib.dbt import TributaryDbtTranslator, dbt_build, dbt_project
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary.locking import warehouse_lock
from tributary.serving import SnapshotReader, current_version

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
            "%d files listed, %d pending (%d rewritten), %d lines read, %d time zones",
            plan.listed,
            len(plan.pending),
            len(plan.rewritten),
            plan.batch.lines_read,
            plan.batch.timezones.num_rows,
        )
        yield from dlt.run(
            context, dlt_source=players_events_source(plan.batch), dlt_pipeline=players.pipeline()
        )


@dg.asset_check(
    asset=RAW_EVENTS,
    name="lines_reconcile",
    blocking=True,
    description="Every line read is an event or quarantined at load, and exactly those rows landed.",
)
def players_lines_reconcile() -> dg.AssetCheckResult:
    with warehouse_lock():
        con = open_warehouse(read_only=True)
        try:
            result = players.reconcile(con)
        finally:
            con.close()
    return dg.AssetCheckResult(passed=result.passed, metadata=dict(vars(result)))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select="tag:players",
    name="players_dbt",
    dagster_dbt_translator=TributaryDbtTranslator(),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def players_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging, cleaning, sessionisation and mart models of the players domain, with their tests."""
    yield from dbt_build(context, dbt)


@dg.asset(
    key=SERVING,
    group_name=GROUP,
    deps=[dg.AssetKey(["players", name]) for name in SERVED_MARTS],
    kinds={"duckdb"},
    op_tags=WAREHOUSE_WRITER_TAGS,
    description="Read-only snapshot of the players marts that the API serves (serving/players/<version>.duckdb).",
)
def players_serving_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    pin_data_dir()
    with warehouse_lock():
        players.publish_serving()
    cur = SnapshotReader("players").cursor()
    return dg.MaterializeResult(
        metadata={
            "path": str(current_version("players")),
            "users": cur.execute("SELECT count(*) FROM players.registration_data").fetchone()[0],
            "session_days": cur.execute("SELECT count(*) FROM players.session_data").fetchone()[0],
        }
    )
