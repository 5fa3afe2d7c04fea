"""Settings of the location service (``LOCATION_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from tributary import settings


class LocationSettings(settings.Settings):
    model_config = SettingsConfigDict(env_prefix="LOCATION_")

    db_url: str | None = Field(
        None,
        description="PostgreSQL URL of the location store (`postgresql://user@host:5432/db`; `postgresql+psycopg://` accepted); unset: embedded SQLite `$TRIBUTARY_DATA_DIR/location/location.sqlite`",
    )
    api_keys: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        description="comma-separated keys; when set, `PUT /location` needs one in `X-API-Key` (unset: no check)",
    )
    max_body_bytes: int = Field(
        4096, description="larger `PUT /location` bodies are a 400 (not read further)"
    )
    dedup_window_seconds: int = Field(
        6 * 3600,
        description="how far behind a user's newest point (UTC) raw keys are kept (and later points are treated as re-sends)",
    )
    max_batch: int = Field(2000, description="most points one group-commit transaction takes")
    batch_interval_ms: float = Field(
        5,
        description="a worker starts a group-commit transaction at most this often (unless a full batch waits); the first request after a quiet spell is not held",
    )
    write_mode: Literal["group", "naive"] = Field(
        "group",
        description="`group`: group commit; `naive`: one INSERT + commit per request (the benchmark baseline only)",
    )
    refresh_cron: str = Field(
        "*/5 * * * *", description="schedule of `location_refresh` (store → warehouse → marts)"
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return (
            frozenset(filter(None, map(str.strip, value.split(","))))
            if isinstance(value, str)
            else value
        )


def embedded_path() -> Path:
    """The embedded store: one SQLite file (WAL mode) under the data dir."""
    return settings.data_dir() / "location" / "location.sqlite"
