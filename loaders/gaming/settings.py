"""Settings of the gaming domain."""

from __future__ import annotations

from pydantic import Field

from tributary.settings import Settings, UnderDataDir


class GamingSettings(Settings, env_prefix="GAMING_"):
    events_url: str = Field(default_factory=UnderDataDir("landing/gaming"))
    """fsspec URL of the game-event files: a folder or `s3://bucket/prefix/`"""
    lake_url: str = Field(default_factory=UnderDataDir("lake/gaming"))
    """where each load batch's lines land as Parquet (`gaming_raw.events` reads them): a folder or `s3://bucket/prefix`"""
    sensor_max_files: int = 200
    """most files the landing sensor loads per tick (a larger backlog is worked off over consecutive ticks)"""
    sensor_interval_seconds: int = 1
    """minimum interval between sensor ticks; Dagster 1.13's sensor daemon loops every 5 s, so ticks come every 5 s (setting 5 here makes them drift to 10 s)"""
    files_per_batch: int = 200
    """files read, validated and committed together (one lake file, one warehouse transaction); bounds memory (about 17x the batch's bytes)"""
    compact_min_files: int = 64
    """gaming lake files under 128 MiB (batch files, or compacted files) that trigger their merge into one compacted file after a load"""
    follow_service: bool = True
    """whether `make serve` starts the gaming follow service (false: `gaming_landing_sensor` loads new files, every 5 s at best, behind other domains' runs)"""
    follow_poll_seconds: float = 0.1
    """how often the follow service (`python -m loaders.gaming --follow`) checks the landing location for new files (one directory stat, or one S3 LIST after the last key)"""
    follow_rescan_seconds: float = 5.0
    """how often the follow service lists the whole landing location (catches in-place rewrites and S3 keys that sort before the last one seen)"""
    warehouse_sync_seconds: float = 5.0
    """how often the follow service loads new files into the warehouse (`gaming_raw`, dbt's input); the API never waits for it"""
    nats_url: str | None = None
    """NATS server whose S3 event notifications (the S3 event JSON) tell the follow service about new objects at once, e.g. `nats://127.0.0.1:4222`; unset: polling only"""
    nats_subject: str = "gaming.landed"
    """NATS subject of those S3 event notifications"""
