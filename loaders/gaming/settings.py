"""Settings of the gaming domain (``GAMING_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tributary.settings import Settings, UnderDataDir


class GamingSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="GAMING_")

    events_url: str = Field(
        default_factory=UnderDataDir("landing/gaming"),
        description="fsspec URL of the game-event files: a folder or `s3://bucket/prefix/`",
    )
    sensor_max_files: int = Field(
        200,
        description="most files the landing sensor loads per tick (a larger backlog is worked off over consecutive ticks)",
    )
    # Dagster 1.13's sensor daemon loops every 5 s at best, so ticks come every 5 s with this
    # default. Asking for 5 would be worse: a loop that finds 4.99 s elapsed waits for the next
    # one, and ticks drift to every 10 s (measured).
    sensor_interval_seconds: int = Field(
        1,
        description="minimum interval between sensor ticks; Dagster 1.13's sensor daemon loops every 5 s, so ticks come every 5 s (setting 5 here makes them drift to 10 s)",
    )
    files_per_batch: int = Field(
        200,
        description="files read and validated together while dlt extracts; bounds memory (about 17x the batch's bytes)",
    )
