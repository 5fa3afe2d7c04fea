"""Settings of the events domain (``EVENTS_*``); S3 access is the platform's ``AWS_*``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tributary.settings import Settings, UnderDataDir


class EventsSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_")

    url: str = Field(
        default_factory=UnderDataDir("landing/events"),
        description="fsspec URL of the JSON-lines input files (folder or `s3://…`)",
    )
    lake_url: str = Field(
        default_factory=UnderDataDir("lake/events"),
        description="the Parquet lake (folder or `s3://bucket/prefix`)",
    )
    nats_url: str | None = Field(
        None, description="NATS server with JetStream; unset: the stream consumer is off"
    )
    nats_stream: str = Field("EVENTS", description="JetStream stream the consumer reads")
    nats_subject: str = Field("events.raw", description="subject the events are published on")
    nats_durable: str = Field("tributary-lake", description="durable consumer name")
    batch_bytes: int = Field(
        256 * 1024 * 1024,
        description="input bytes per landing batch (bounds memory, not the backlog)",
    )
    compact_min_files: int = Field(
        8, description="a partition with more files than this is compacted"
    )
    target_file_bytes: int = Field(
        128 * 1024 * 1024,
        description="size of the files compaction writes (one unless the partition is larger)",
    )
    duckdb_memory: str = Field(
        "2GB", description="DuckDB memory limit of the loader (spills beyond)"
    )
    stream_tick_seconds: float = Field(20, description="how long each stream-sensor tick consumes")
