"""Settings of the online feature store."""

from __future__ import annotations

from pydantic import Field

from tributary.settings import Settings, UnderDataDir


class FeaturesSettings(Settings, env_prefix="FEATURES_"):
    redis_url: str | None = None
    """Redis online store for the product features (`redis://host:6379/0`); unset: embedded SQLite (WAL) at `FEATURES_SQLITE_PATH`"""
    redis_prefix: str = "tributary:features:"
    """prefix of every Redis key the feature store writes (one store per prefix)"""
    sqlite_path: str = Field(default_factory=UnderDataDir("features/features.sqlite"))
    """the embedded online store, shared by the features consumer and the API processes"""
