"""A run of ``commerce_refresh`` when new view files land or the shop database changed.

The CTR mart is a dbt table, so the sensor loads nothing itself: it lists
``COMMERCE_VIEWS_URL`` against the manifest ``commerce_views.files`` and reads the shop's
``max(updated_at)`` of both tables; the run key is a digest of both, so a tick that sees the
same state again while the run is queued does not request it twice. Every 60 s by default
(``COMMERCE_SENSOR_INTERVAL_SECONDS``): the BI front-end reads minute-grain history, not
seconds-old data.
"""

import hashlib
import os

import dagster as dg
import sqlalchemy as sa

from loaders import incremental_files
from loaders.commerce import shop_db
from loaders.commerce import views_pipeline as views
from loaders.common import open_warehouse
from orchestration.defs.commerce.assets import GROUP
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary import settings
from tributary.locking import WarehouseBusy, warehouse_lock


def _interval() -> int:
    return int(os.environ.get("COMMERCE_SENSOR_INTERVAL_SECONDS", "60"))


def shop_state() -> str:
    """max(updated_at) of both shop tables ('' when the database has no tables yet)."""
    engine = shop_db.engine()
    try:
        with engine.connect() as con:
            if not sa.inspect(con).has_table("orders"):
                return ""
            a = con.execute(sa.select(sa.func.max(shop_db.orders.c.updated_at))).scalar()
            b = con.execute(sa.select(sa.func.max(shop_db.order_items.c.updated_at))).scalar()
            return f"{a}|{b}"
    finally:
        engine.dispose()


@dg.sensor(
    name="commerce_sensor",
    asset_selection=dg.AssetSelection.groups(GROUP),
    minimum_interval_seconds=_interval(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests commerce_refresh when view files land or the shop database changed.",
)
def commerce_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    pin_data_dir()
    try:
        with warehouse_lock(timeout=0):
            manifest: dict[str, str] = {}
            if settings.warehouse_path().exists():
                con = open_warehouse(read_only=True)
                try:
                    manifest = incremental_files.loaded_manifest(views.DATASET, con)
                finally:
                    con.close()
    except WarehouseBusy:
        return dg.SkipReason("warehouse busy (a run is writing); retrying next tick")
    pending = views.pending_files(views.landing(), manifest)
    shop = shop_state()
    if not pending and shop == (context.cursor or ""):
        return dg.SensorResult(skip_reason="no new view files and no shop changes", cursor=shop)
    digest = hashlib.sha256(shop.encode())
    for f in pending:
        digest.update(f"{f.path}\0{f.fingerprint}\n".encode())
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=digest.hexdigest()[:32],
                tags={**WAREHOUSE_WRITER_TAGS, "commerce/pending_files": str(len(pending))},
            )
        ],
        cursor=shop,
    )
