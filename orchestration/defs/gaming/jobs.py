"""Jobs of the gaming domain."""

import dagster as dg

from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS

# Everything in the domain, in dependency order: load pending files, check, dbt build, publish.
gaming_refresh_job = dg.define_asset_job(
    name="gaming_refresh",
    selection=dg.AssetSelection.groups("gaming"),
    # Run-level tag: the run queue lets one warehouse writer run at a time.
    tags=WAREHOUSE_WRITER_TAGS,
    description="Load every pending game-event file, rebuild the gaming models, publish the snapshot.",
)
