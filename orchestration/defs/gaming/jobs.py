"""Jobs of the gaming domain."""

from orchestration.lib.domain import refresh_job

gaming_refresh_job = refresh_job(
    "gaming",
    "Load every pending game-event file, rebuild the gaming models, publish the snapshot.",
)
