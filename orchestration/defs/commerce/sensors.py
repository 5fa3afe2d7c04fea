"""A run of ``commerce_refresh`` when new view files land or the shop database changed.

The CTR mart is a dbt table, so the sensor loads nothing itself: it lists
``COMMERCE_VIEWS_URL`` against the manifest ``commerce_views.files`` and reads the shop's
``max(updated_at)`` of both tables; the run key is a digest of both, so a tick that sees the
same state again while the run is queued does not request it twice. Every 60 s by default
(``COMMERCE_SENSOR_INTERVAL_SECONDS``): the BI front-end reads minute-grain history, not
seconds-old data.
"""

import sqlalchemy as sa

from loaders.commerce import shop_db
from loaders.commerce.settings import CommerceSettings
from loaders.commerce.views_pipeline import DOMAIN
from orchestration.lib.sensors import pending_files_sensor


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


commerce_sensor = pending_files_sensor(
    DOMAIN,
    name="commerce_sensor",
    interval_seconds=CommerceSettings().sensor_interval_seconds,
    description="Requests commerce_refresh when view files land or the shop database changed.",
    state=shop_state,
)
