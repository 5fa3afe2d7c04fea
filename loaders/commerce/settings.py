"""Settings of the commerce domain: where it reads from, in which time zone it speaks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field

from tributary import settings


class CommerceSettings(settings.Settings, env_prefix="COMMERCE_"):
    db_url: str = Field(default_factory=settings.UnderDataDir("commerce/shop.sqlite", "sqlite:///"))
    """SQLAlchemy URL of the shop database `make commerce-db` loads and the warehouse extracts from (e.g. `postgresql+psycopg2://user@host/db`)"""
    views_url: str = Field(default_factory=settings.UnderDataDir("landing/commerce/views"))
    """fsspec URL of the product-view files, one sub-folder per platform (`iOS/`, `Android/`, `MobileWeb/`)"""
    lake_url: str = Field(default_factory=settings.UnderDataDir("lake/commerce"))
    """where product views, their quarantine and load records and the shop tables land as Parquet (`views/date=YYYY-MM-DD/`, hive-partitioned by UTC day), read in place by both dbt engines: a folder or `s3://bucket/prefix`"""
    timezone: Annotated[str, AfterValidator(lambda name: ZoneInfo(name).key)] = "America/Sao_Paulo"
    """business time zone (an unknown zone fails here): interprets `orders.order_date`, views are converted into it, the zone of `/ctr` timestamps"""
    views_batch_bytes: int = 256 * 1024 * 1024
    """bytes of view files read and parsed together (bounds memory)"""
    sensor_interval_seconds: int = 60
    """how often `commerce_sensor` looks for new view files / shop changes"""


def db_url() -> str:
    """``COMMERCE_DB_URL``; for a SQLite file, its folder is created first."""
    url = CommerceSettings().db_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url
