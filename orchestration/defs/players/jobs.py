"""Jobs of the players domain."""

from orchestration.lib.domain import refresh_job

players_refresh_job = refresh_job(
    "players",
    "Load every pending player-event file, rebuild the players models, publish the snapshot.",
)
