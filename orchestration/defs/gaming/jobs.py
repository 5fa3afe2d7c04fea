"""Jobs of the gaming domain."""

import dagster as dg

# Everything in the domain, in dependency order: load pending files, check, dbt build, publish.
gaming_refresh_job = dg.define_asset_job(
    name="gaming_refresh",
    selection=dg.AssetSelection.groups("gaming"),
    description="Load every pending game-event file, rebuild the gaming models, publish the snapshot.",
)
