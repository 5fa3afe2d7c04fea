"""The commerce serving snapshot: the ``GET /ctr`` marts, copied and sorted.

``GET /ctr`` sums views and purchases of up to millions of minute rows and then writes up to
hundreds of thousands of JSON entries, so the snapshot stores what makes both cheap (dbt
marts ``commerce_ctr_series*``, documented and tested in
``dbt_project/models/marts/commerce/_commerce__marts.yml``):

- ``commerce.ctr_series``: one row per (platform, product) with a dense ``series_id`` in
  response order and the entry's constant, JSON-escaped middle part.
- ``commerce.ctr_minute``, ``ctr_hour``, ``ctr_day``: (``minute_idx``, ``series_id``) →
  ``views``, ``purchases``, all integers, at minute, hour and day grain.

The three are sorted by (series_id, minute_idx): a request for one product reads the row
groups of its few series only (zone maps on the leading column).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tributary import serving
from tributary.marts import marts_connection

DOMAIN = "commerce"
GRAINS = ("minute", "hour", "day")
SERVED_TABLES = [
    serving.ServedTable(
        DOMAIN,
        "ctr_series",
        "SELECT platform::VARCHAR AS platform, product::VARCHAR AS product, "
        "series_id::INTEGER AS series_id, entry_middle::VARCHAR AS entry_middle "
        "FROM commerce.ctr_series",
        "series_id",
    ),
    *(
        serving.ServedTable(
            DOMAIN,
            f"ctr_{g}",
            "SELECT series_id::INTEGER AS series_id, minute_idx::INTEGER AS minute_idx, "
            "views::INTEGER AS views, purchases::INTEGER AS purchases "
            f"FROM commerce.ctr_series_{g}",
            "series_id, minute_idx",
        )
        for g in GRAINS
    ),
]
SERVED_MARTS = ("commerce/ctr_series", *(f"commerce/ctr_series_{g}" for g in GRAINS))


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the ``/ctr`` marts (of the engine that built them, :mod:`tributary.marts`) into a
    fresh snapshot, every column cast to the snapshot's type. Caller holds the lock."""
    with marts_connection(warehouse) as marts:
        return serving.publish_if_built(DOMAIN, SERVED_TABLES, marts)
