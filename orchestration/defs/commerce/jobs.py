"""Jobs of the commerce domain."""

import dagster as dg

from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS

# Everything in the domain, in dependency order: extract the shop DB and the pending view
# files, check both, dbt build, publish the snapshot.
commerce_refresh_job = dg.define_asset_job(
    name="commerce_refresh",
    selection=dg.AssetSelection.groups("commerce"),
    tags=WAREHOUSE_WRITER_TAGS,
    description="Extract new/changed orders and new view files, rebuild the CTR mart, publish it.",
)
