"""The commerce serving snapshot: the minute mart reshaped for ``GET /ctr``.

``GET /ctr`` sums views and purchases of up to millions of minute rows and then writes up to
hundreds of thousands of JSON entries, so the snapshot stores what makes both cheap:

- ``commerce.ctr_series``: one row per (platform, product) with a dense ``series_id`` in
  (platform, product) order — the response order within a bucket — and the entry's constant
  middle part (``","platform":"iOS","product":"…","CTR":``), JSON-escaped once here instead
  of once per entry per request.
- ``commerce.ctr_minute``: (``minute_idx``, ``series_id``) → ``views``, ``purchases``, all
  integers. ``minute_idx`` is the business-zone wall-clock minute counted from 1970-01-01
  00:00, so a bucket number is ``(minute_idx - start) // aggregation`` in integer arithmetic
  and grouping is on two integers, not on timestamps and strings.
- ``commerce.ctr_hour`` and ``commerce.ctr_day``: the same at hour and day grain (the minute
  index of the hour's or day's start). A request whose start, end and aggregation are whole
  hours (days) is answered from them with the same result and far fewer rows.

All three are sorted by (series_id, minute_idx): a request for one product reads the row
groups of its few series only (zone maps on the leading column).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tributary import serving

DOMAIN = "commerce"

_SERIES = """
    SELECT (row_number() OVER (ORDER BY platform, product))::INTEGER AS series_id,
           platform, product,
           '","platform":' || to_json(platform) || ',"product":' || to_json(product)
               || ',"CTR":' AS entry_middle
    FROM (SELECT DISTINCT platform, product FROM commerce.ctr_minute)
"""


def _grain(minutes: int) -> str:
    return f"""
    SELECT (epoch(m.minute_at)::BIGINT // 60 // {minutes} * {minutes})::INTEGER AS minute_idx,
           s.series_id,
           sum(m.views)::INTEGER AS views, sum(m.purchases)::INTEGER AS purchases
    FROM commerce.ctr_minute AS m
    JOIN ({_SERIES}) AS s USING (platform, product)
    GROUP BY ALL
    """


ORDER = "series_id, minute_idx"
SERVED_TABLES = [
    serving.ServedTable("commerce", "ctr_series", _SERIES, "series_id"),
    serving.ServedTable("commerce", "ctr_minute", _grain(1), ORDER),
    serving.ServedTable("commerce", "ctr_hour", _grain(60), ORDER),
    serving.ServedTable("commerce", "ctr_day", _grain(1440), ORDER),
]


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the commerce mart (reshaped, with roll-ups) into a fresh snapshot. Caller holds the lock."""
    return serving.publish_if_built(
        DOMAIN, SERVED_TABLES, warehouse, built=("commerce", "ctr_minute")
    )
