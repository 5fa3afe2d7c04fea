"""Settings of the events domain; S3 access is the platform's ``AWS_*``."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from tributary.settings import Settings, UnderDataDir


class EventsSettings(Settings, env_prefix="EVENTS_"):
    url: str = Field(default_factory=UnderDataDir("landing/events"))
    """fsspec URL of the JSON-lines input files (folder or `s3://…`)"""
    lake_url: str = Field(default_factory=UnderDataDir("lake/events"))
    """the Parquet lake (folder or `s3://bucket/prefix`)"""
    nats_url: str | None = None
    """NATS server with JetStream; unset: the stream consumer is off"""
    nats_stream: str = "EVENTS"
    """JetStream stream the consumer reads"""
    nats_subject: str = "events.raw"
    """subject the events are published on"""
    nats_durable: str = "tributary-lake"
    """durable consumer name"""
    features_durable: str = "tributary-features"
    """durable name of the features consumer (the online product features, a second consumer of the same subject)"""
    features_ack_wait: float = 30.0
    """seconds before JetStream redelivers a message the features consumer fetched but did not acknowledge (set when the durable is created)"""
    batch_bytes: int = 256 * 1024 * 1024
    """input bytes per landing batch (bounds memory, not the backlog)"""
    compact_min_files: int = 8
    """a partition with more files than this is compacted"""
    target_file_bytes: int = 128 * 1024 * 1024
    """size of the files compaction writes (one unless the partition is larger)"""
    duckdb_memory: str = "2GB"
    """DuckDB memory limit of the loader (spills beyond)"""
    stream_tick_seconds: float = 20
    """how long each stream-sensor tick consumes"""
    by_user_buckets: int = Field(64, ge=1, le=4096)
    """buckets of the user-ordered layout (by_user/; fixed when the layout is first written)"""
    by_user_row_group_rows: int = Field(2048, ge=1024)
    """rows per Parquet row group in by_user/ (smaller: fewer bytes read per user, larger footers)"""
    by_user_compact_min_files: int = 8
    """a by_user bucket with more files than this is merged into one"""
    stats_today: date | None = None
    """pins the UTC day the stats endpoint calls today (tests, replays); unset: the clock"""
