"""The commerce serving snapshot: the minute mart plus hourly and daily roll-ups.

All three tables are stored sorted by (product, minute), so a request for one product reads a
few row groups (DuckDB's zone maps prune on the leading sort column). ``GET /ctr`` answers
from the coarsest roll-up whose grain divides the request exactly (start, end and
aggregation all aligned to whole hours or days), else from the minute table; the answer is
the same, only the number of rows summed differs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tributary import serving

DOMAIN = "commerce"


def _rollup(grain: str) -> str:
    return (
        f"SELECT date_trunc('{grain}', minute_at) AS minute_at, platform, product, "
        "sum(views)::BIGINT AS views, sum(purchases)::BIGINT AS purchases "
        "FROM commerce.ctr_minute GROUP BY ALL"
    )


SERVED_TABLES = [
    serving.ServedTable(
        "commerce",
        "ctr_minute",
        "SELECT * FROM commerce.ctr_minute",
        "product, minute_at, platform",
    ),
    serving.ServedTable("commerce", "ctr_hour", _rollup("hour"), "product, minute_at, platform"),
    serving.ServedTable("commerce", "ctr_day", _rollup("day"), "product, minute_at, platform"),
]


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the commerce mart (and its roll-ups) into a fresh snapshot. Caller holds the lock."""
    return serving.publish_if_built(DOMAIN, SERVED_TABLES, warehouse)
