"""Settings of the players domain."""

from __future__ import annotations

from pydantic import Field

from tributary.settings import Settings, UnderDataDir


class PlayersSettings(Settings, env_prefix="PLAYERS_"):
    events_url: str = Field(default_factory=UnderDataDir("landing/players"))
    """fsspec URL of the player-event JSON-lines files"""
    lake_url: str = Field(default_factory=UnderDataDir("lake/players"))
    """where the lines, load quarantine, load records and time zones land as Parquet (a folder or `s3://bucket/prefix`)"""
    timezones_url: str = Field(default_factory=UnderDataDir("landing/players_timezones.json"))
    """JSON lines of `{"country", "timezone"}` (IANA zone per country)"""
    files_per_batch: int = 200
    """files read and validated together while dlt extracts (bounds memory)"""
    sensor_interval_seconds: int = 30
    """how often the players sensor looks for new files (it requests a `players_refresh` run)"""
