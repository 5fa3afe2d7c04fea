"""Settings of the commerce domain (``COMMERCE_*``): where it reads from, in which time zone it
speaks."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from tributary import settings


class CommerceSettings(settings.Settings):
    model_config = SettingsConfigDict(env_prefix="COMMERCE_")

    db_url: str = Field(
        default_factory=settings.UnderDataDir("commerce/shop.sqlite", scheme="sqlite:///"),
        description="SQLAlchemy URL of the shop database `make commerce-db` loads and the warehouse extracts from (e.g. `postgresql+psycopg2://user@host/db`)",
    )
    views_url: str = Field(
        default_factory=settings.UnderDataDir("landing/commerce/views"),
        description="fsspec URL of the product-view files, one sub-folder per platform (`iOS/`, `Android/`, `MobileWeb/`)",
    )
    timezone: str = Field(
        "America/Sao_Paulo",
        description="business time zone: interprets `orders.order_date`, views are converted into it, the zone of `/ctr` timestamps",
    )
    views_batch_bytes: int = Field(
        256 * 1024 * 1024,
        description="bytes of view files read and parsed together (bounds memory)",
    )
    sensor_interval_seconds: int = Field(
        60, description="how often `commerce_sensor` looks for new view files / shop changes"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        ZoneInfo(name)  # an unknown zone fails here, not in SQL
        return name


def sample_dir() -> Path:
    """Where ``python -m simulation.commerce`` writes by default."""
    return settings.landing_dir("commerce")


def db_url() -> str:
    """``COMMERCE_DB_URL``, the folder of a SQLite file created."""
    url = CommerceSettings().db_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url
