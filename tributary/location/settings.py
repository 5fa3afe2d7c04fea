"""Settings of the location service, read from the environment on each call."""

from __future__ import annotations

import os
from pathlib import Path

from tributary import settings


def db_url() -> str | None:
    """``LOCATION_DB_URL``: a PostgreSQL URL, or None for the embedded SQLite store."""
    value = os.environ.get("LOCATION_DB_URL", "").strip()
    return value or None


def embedded_path() -> Path:
    """The embedded store: one SQLite file (WAL mode) under the data dir."""
    return settings.data_dir() / "location" / "location.sqlite"


def api_keys() -> frozenset[str]:
    """``LOCATION_API_KEYS``: comma-separated keys; empty (the default) turns the check off."""
    raw = os.environ.get("LOCATION_API_KEYS", "")
    return frozenset(k.strip() for k in raw.split(",") if k.strip())


def max_body_bytes() -> int:
    return int(os.environ.get("LOCATION_MAX_BODY_BYTES", "4096"))


def dedup_window_seconds() -> int:
    """How far behind a user's newest point (UTC) raw keys are kept for de-duplication."""
    return int(os.environ.get("LOCATION_DEDUP_WINDOW_SECONDS", str(6 * 3600)))


def write_mode() -> str:
    """``group`` (default): group commit. ``naive``: one INSERT + commit per request (the
    benchmark baseline, not for production)."""
    return os.environ.get("LOCATION_WRITE_MODE", "group").strip() or "group"


def max_batch() -> int:
    """Most points one group-commit transaction takes."""
    return int(os.environ.get("LOCATION_MAX_BATCH", "2000"))


def batch_interval_seconds() -> float:
    """``LOCATION_BATCH_INTERVAL_MS`` (5): a worker's writer starts a transaction at most this
    often, unless a full batch is waiting; the first request after a quiet spell is not held."""
    return float(os.environ.get("LOCATION_BATCH_INTERVAL_MS", "5")) / 1000
