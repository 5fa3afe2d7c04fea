"""Settings of the players domain (``PLAYERS_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tributary.settings import Settings, UnderDataDir


class PlayersSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="PLAYERS_")

    events_url: str = Field(
        default_factory=UnderDataDir("landing/players"),
        description="fsspec URL of the player-event JSON-lines files",
    )
    timezones_url: str = Field(
        default_factory=UnderDataDir("landing/players_timezones.json"),
        description='JSON lines of `{"country", "timezone"}` (IANA zone per country)',
    )
    files_per_batch: int = Field(
        200, description="files read and validated together while dlt extracts (bounds memory)"
    )
    sensor_interval_seconds: int = Field(
        30,
        description="how often the players sensor looks for new files (it requests a `players_refresh` run)",
    )
