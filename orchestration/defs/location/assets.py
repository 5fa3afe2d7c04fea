"""Location minutes: the incremental dlt load from the store and its reconciliation (the
dbt models on top are in ``orchestration/defs/dbt.py``)."""

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.location import pipeline as location
from loaders.location.source import location_minutes_source
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.domain import reconciliation_check
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, WarehouseResource

GROUP = "location"
RAW_MINUTES = dg.AssetKey(["location_raw", "minutes"])


@dlt_assets(
    dlt_source=location_minutes_source(),
    dlt_pipeline=location.pipeline(),
    name="location_raw",
    dagster_dlt_translator=WarehouseDltTranslator(location.DATASET, GROUP),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def location_raw(
    context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource
):
    """Load every minute changed in the location store (``LOCATION_DB_URL`` or the embedded
    SQLite) since the last load, merged on (user_id, minute_utc)."""
    with warehouse.locked():
        yield from dlt.run(
            context, dlt_source=location_minutes_source(), dlt_pipeline=location.pipeline()
        )


location_minutes_reconcile = reconciliation_check(
    RAW_MINUTES,
    location.reconcile,
    "Requests answered 200 = accepted + duplicates; the store's minutes hold exactly "
    "the accepted points; every minute committed up to the loaded sequence is in the "
    "warehouse with the same version and count.",
    name="minutes_reconcile",
)
