"""``serving/events``: the SQLite snapshot the stats endpoint reads, published after each
build of the per-user marts (``loaders/events/serving.py``)."""

import dagster as dg

from loaders.events.serving import DOMAIN, publish_serving
from orchestration.defs.events.assets import GROUP
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, WarehouseResource
from tributary.serving_sqlite import SqliteSnapshotReader


@dg.asset(
    key=dg.AssetKey(["serving", DOMAIN]),
    group_name=GROUP,
    deps=[dg.AssetKey(["events", "user_days"]), dg.AssetKey(["events", "users"])],
    kinds={"sqlite"},
    op_tags=WAREHOUSE_WRITER_TAGS,
    description="Read-only SQLite snapshot of events.user_days and events.users "
    "(serving/events/<version>.sqlite) for GET /events/users/{user_id}/stats.",
)
def events_serving_snapshot(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.locked():
        path = publish_serving()
    if path is None:
        return dg.MaterializeResult(metadata={"published": False})
    return dg.MaterializeResult(metadata=SqliteSnapshotReader(DOMAIN).row_counts())
