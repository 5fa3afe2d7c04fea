"""Jobs of the events domain."""

import dagster as dg

from orchestration.defs.events.assets import LAKE_HOURS
from orchestration.lib.domain import refresh_job
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS

# Land every pending file, check, compact, then build the dbt models over the lake.
events_refresh_job = refresh_job(
    "events",
    "Land every pending events file into the lake, then build the events models.",
    selection=dg.AssetSelection.groups("events") - dg.AssetSelection.assets(LAKE_HOURS),
)

# One UTC hour, re-landed from every input file (backfill any range of hours from the UI).
events_hour_job = dg.define_asset_job(
    name="events_hour",
    selection=dg.AssetSelection.assets(LAKE_HOURS),
    tags=WAREHOUSE_WRITER_TAGS,
    description="Backfill one hour of the events lake.",
)
