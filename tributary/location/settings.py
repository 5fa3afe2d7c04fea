"""Settings of the location service."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

from tributary import settings


def _comma_separated(value: object) -> object:
    return (
        frozenset(filter(None, map(str.strip, value.split(","))))
        if isinstance(value, str)
        else value
    )


class LocationSettings(settings.Settings, env_prefix="LOCATION_"):
    db_url: str | None = None
    """PostgreSQL URL of the location store (`postgresql://user@host:5432/db`; `postgresql+psycopg://` accepted); unset: embedded SQLite `$TRIBUTARY_DATA_DIR/location/location.sqlite`"""
    api_keys: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_separated)] = frozenset()
    """comma-separated keys; when set, `PUT /location` needs one in `X-API-Key` (unset: no check)"""
    max_body_bytes: int = 4096
    """larger `PUT /location` bodies are a 400 (not read further)"""
    dedup_window_seconds: int = 6 * 3600
    """how far behind a user's newest point (UTC) raw keys are kept (and later points are treated as re-sends)"""
    max_batch: int = 2000
    """most points one group-commit transaction takes"""
    batch_interval_ms: float = 5
    """a worker starts a group-commit transaction at most this often (unless a full batch waits); the first request after a quiet spell is not held"""
    write_mode: Literal["group", "naive"] = "group"
    """`group`: group commit; `naive`: one INSERT + commit per request (the benchmark baseline only)"""
    refresh_cron: str = "*/5 * * * *"
    """schedule of `location_refresh` (store → warehouse → marts)"""
