"""Commerce: two dlt loads (the shop database; the view files, from the domain's file
contract), their checks and the serving snapshot ``GET /ctr`` reads (the dbt models are in
``orchestration/defs/dbt.py``)."""

import dagster as dg
import sqlalchemy as sa
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.commerce import shop_db, shop_source
from loaders.commerce.views_pipeline import DOMAIN
from loaders.common import table_exists
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.domain import file_domain_assets
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, WarehouseResource
from tributary.warehouse import connect as connect_warehouse

GROUP = "commerce"
ORDERS = dg.AssetKey(["commerce_shop", "orders"])
ORDER_ITEMS = dg.AssetKey(["commerce_shop", "order_items"])


@dlt_assets(
    dlt_source=shop_source.shop_source(),
    dlt_pipeline=shop_source.pipeline(),
    name="commerce_shop",
    dagster_dlt_translator=WarehouseDltTranslator(shop_source.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def commerce_shop(
    context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource
):
    """New or changed orders and items of ``COMMERCE_DB_URL`` (incremental on ``updated_at``),
    then their current state written to the commerce lake."""
    engine = shop_db.engine()
    try:
        shop_db.create_schema(engine)  # an empty shop extracts as empty tables
    finally:
        engine.dispose()
    with warehouse.locked():
        yield from dlt.run(
            context, dlt_source=shop_source.shop_source(), dlt_pipeline=shop_source.pipeline()
        )
        with connect_warehouse(lock=False) as con:
            context.log.info("shop tables in the lake: %s", shop_source.publish_to_lake(con))


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("matches_shop_db", asset=ORDERS, blocking=True),
        dg.AssetCheckSpec("matches_shop_db", asset=ORDER_ITEMS, blocking=True),
    ],
    description="The warehouse holds exactly the keys and statuses of the shop database.",
)
def commerce_shop_matches_source(warehouse: WarehouseResource):
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
    with warehouse.connect(read_only=True) as wh:
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


commerce_views, commerce_views_reconcile, commerce_serving_snapshot = file_domain_assets(DOMAIN)
