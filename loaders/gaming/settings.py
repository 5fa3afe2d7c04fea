"""Settings of the gaming domain."""

from __future__ import annotations

from pydantic import Field

from tributary.settings import Settings, UnderDataDir


class GamingSettings(Settings, env_prefix="GAMING_"):
    events_url: str = Field(default_factory=UnderDataDir("landing/gaming"))
    """fsspec URL of the game-event files: a folder or `s3://bucket/prefix/`"""
    sensor_max_files: int = 200
    """most files the landing sensor loads per tick (a larger backlog is worked off over consecutive ticks)"""
    sensor_interval_seconds: int = 1
    """minimum interval between sensor ticks; Dagster 1.13's sensor daemon loops every 5 s, so ticks come every 5 s (setting 5 here makes them drift to 10 s)"""
    files_per_batch: int = 200
    """files read and validated together while dlt extracts; bounds memory (about 17x the batch's bytes)"""
