"""Where things live. Every path the embedded default writes is derived from
``TRIBUTARY_DATA_DIR`` so two data dirs never touch each other's files.

Values are read from the environment on each call (not at import), so a test or a CLI can
point the whole platform at another data dir by setting one variable.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Root of everything the embedded default writes (``TRIBUTARY_DATA_DIR``, default ./data)."""
    return Path(os.environ.get("TRIBUTARY_DATA_DIR", "data")).expanduser().resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse: one writer at a time, never opened by the API."""
    return data_dir() / "warehouse.duckdb"


def serving_dir() -> Path:
    """Read-only snapshots of the marts, one DuckDB file per domain, swapped atomically."""
    return data_dir() / "serving"


def landing_dir(domain: str) -> Path:
    return data_dir() / "landing" / domain


def dlt_pipelines_dir() -> Path:
    """dlt's working folder (load packages, local state), kept per data dir."""
    return data_dir() / "dlt"


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or data_dir() / "dagster_home")


def env_url(name: str, default: Path | str) -> str:
    """An fsspec URL from the environment, or the given local default."""
    value = os.environ.get(name, "").strip()
    return value or str(default)
