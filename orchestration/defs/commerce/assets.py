"""Commerce: two dlt loads (the shop database, the view files), their checks, the dbt models
and the serving snapshot ``GET /ctr`` reads."""

import dagster as dg
import sqlalchemy as sa
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.commerce import shop_db, shop_source
from loaders.commerce import views_pipeline as views
from loaders.commerce.publish import publish_serving
from loaders.common import open_warehouse, table_exists
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.domain import domain_dbt_assets, reconciliation_check, serving_snapshot_asset
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary.locking import warehouse_lock

GROUP = "commerce"
ORDERS = dg.AssetKey(["commerce_shop", "orders"])
ORDER_ITEMS = dg.AssetKey(["commerce_shop", "order_items"])
VIEWS = dg.AssetKey(["commerce_views", "views"])
SERVING = dg.AssetKey(["serving", "commerce"])


@dlt_assets(
    dlt_source=shop_source.shop_source(),
    dlt_pipeline=shop_source.pipeline(),
    name="commerce_shop",
    dagster_dlt_translator=WarehouseDltTranslator(shop_source.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def commerce_shop(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """New or changed orders and items of ``COMMERCE_DB_URL`` (incremental on ``updated_at``)."""
    pin_data_dir()
    engine = shop_db.engine()
    try:
        shop_db.create_schema(engine)  # an empty shop extracts as empty tables
    finally:
        engine.dispose()
    with warehouse_lock():
        yield from dlt.run(
            context, dlt_source=shop_source.shop_source(), dlt_pipeline=shop_source.pipeline()
        )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("matches_shop_db", asset=ORDERS, blocking=True),
        dg.AssetCheckSpec("matches_shop_db", asset=ORDER_ITEMS, blocking=True),
    ],
    description="The warehouse holds exactly the keys and statuses of the shop database.",
)
def commerce_shop_matches_source():
    """Rows, and for orders the status of every id, equal in the shop DB and the warehouse."""
    engine = shop_db.engine()
    try:
        with engine.connect() as con:
            source_orders = dict(
                con.execute(sa.select(shop_db.orders.c.id, shop_db.orders.c.status)).all()
            )
            source_items = con.execute(
                sa.select(sa.func.count()).select_from(shop_db.order_items)
            ).scalar_one()
    finally:
        engine.dispose()
    with warehouse_lock():
        wh = open_warehouse(read_only=True)
        try:
            loaded = table_exists(wh, shop_source.DATASET, "orders")
            orders = (
                dict(wh.execute("SELECT id, status FROM commerce_shop.orders").fetchall())
                if loaded
                else {}
            )
            items = (
                wh.execute("SELECT count(*) FROM commerce_shop.order_items").fetchone()[0]
                if loaded
                else 0
            )
        finally:
            wh.close()
    differing = sum(
        1 for k in source_orders.keys() | orders.keys() if source_orders.get(k) != orders.get(k)
    )
    yield dg.AssetCheckResult(
        asset_key=ORDERS,
        check_name="matches_shop_db",
        passed=differing == 0,
        metadata={
            "source_rows": len(source_orders),
            "warehouse_rows": len(orders),
            "differing": differing,
        },
    )
    yield dg.AssetCheckResult(
        asset_key=ORDER_ITEMS,
        check_name="matches_shop_db",
        passed=source_items == items,
        metadata={"source_rows": source_items, "warehouse_rows": items},
    )


@dlt_assets(
    dlt_source=views.views_source(),
    dlt_pipeline=views.pipeline(),
    name="commerce_views",
    dagster_dlt_translator=WarehouseDltTranslator(views.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def commerce_views(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """Every new or rewritten view file of ``COMMERCE_VIEWS_URL``."""
    pin_data_dir()
    with warehouse_lock():
        plan = views.plan_load()
        context.log.info(
            "%d files listed, %d pending (%d rewritten)",
            plan.listed,
            len(plan.pending),
            len(plan.rewritten),
        )
        yield from dlt.run(context, dlt_source=plan.source(), dlt_pipeline=views.pipeline())
        context.log.info(
            "read %d records: %d product views, %d quarantined",
            plan.records_read,
            plan.product_views,
            plan.quarantined,
        )


commerce_views_reconcile = reconciliation_check(
    VIEWS,
    views.reconcile,
    "Per file read: records = product views + ignored + quarantined, and exactly "
    "the views and quarantined rows counted landed.",
    name="events_reconcile",
)


commerce_dbt = domain_dbt_assets(
    "commerce",
    "Staging, intermediate and mart models of the commerce domain, with their tests.",
)


commerce_serving_snapshot = serving_snapshot_asset(
    GROUP, [dg.AssetKey(["commerce", "ctr_minute"])], publish_serving
)
