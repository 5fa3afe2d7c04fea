"""Where the commerce domain reads from, and in which time zone it speaks.

- ``COMMERCE_DB_URL``: SQLAlchemy URL of the shop database (default: a SQLite file
  ``$TRIBUTARY_DATA_DIR/commerce/shop.sqlite``; e.g. ``postgresql+psycopg2://user@host/db``).
- ``COMMERCE_VIEWS_URL``: fsspec URL of the product-view folder or bucket, one sub-folder per
  platform (default: ``$TRIBUTARY_DATA_DIR/landing/commerce/views``).
- ``COMMERCE_TIMEZONE``: the business time zone (default ``America/Sao_Paulo``): it interprets
  ``orders.order_date`` and is the zone of the API's timestamps; views are converted into it.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

from tributary import settings
from tributary.platforms import PLATFORMS  # noqa: F401 (re-exported for the loaders)

DEFAULT_TIMEZONE = "America/Sao_Paulo"


def sample_dir() -> Path:
    """Where ``python -m simulation.commerce`` writes by default."""
    return settings.landing_dir("commerce")


def db_url() -> str:
    value = os.environ.get("COMMERCE_DB_URL", "").strip()
    if value:
        return value
    path = settings.data_dir() / "commerce" / "shop.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def views_url() -> str:
    return settings.env_url("COMMERCE_VIEWS_URL", sample_dir() / "views")


def timezone() -> str:
    """The business time zone name (validated: an unknown zone fails here, not in SQL)."""
    name = os.environ.get("COMMERCE_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    ZoneInfo(name)
    return name
