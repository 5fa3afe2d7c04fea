"""Jobs of the players domain."""

import dagster as dg

from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS

# Everything in the domain, in dependency order: load pending files, check, dbt build, publish.
players_refresh_job = dg.define_asset_job(
    name="players_refresh",
    selection=dg.AssetSelection.groups("players"),
    tags=WAREHOUSE_WRITER_TAGS,
    description="Load every pending player-event file, rebuild the players models, publish the snapshot.",
)
