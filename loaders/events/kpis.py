"""Daily KPIs straight from the lake, no warehouse: question 3 ("only S3 is up").

``python -m loaders.events kpis --date 2024-03-01 [--lake s3://bucket/prefix]`` (or
``make kpis DATE=…``) opens an in-memory DuckDB on this machine and reads only the partitions
of that day: the type folders are listed once (one LIST with a delimiter), then one glob per
type for ``date=<day>`` — so neither the listing nor the scan touches other days — and only
the columns a KPI needs (``user_id`` and the partition columns) are fetched, with HTTP range
requests on S3. The definitions are the dbt mart ``events.events_daily_kpis``'s.
"""

from __future__ import annotations

import json
import time
from datetime import date

from loaders.events.lake import Lake

KPI_SQL = """
WITH events AS (
    SELECT event_type, hour::INTEGER AS hour, user_id
    FROM read_parquet(?, hive_partitioning = true, hive_types_autocast = false)
    WHERE date = ?
),
type_counts AS (
    SELECT event_type, count(*) AS events FROM events GROUP BY event_type
),
hours AS (
    SELECT hour, count(*) AS events FROM events GROUP BY hour
),
users AS (
    SELECT count(DISTINCT user_id) AS active_users, count(user_id) AS events_with_user
    FROM events
)
SELECT
    (SELECT coalesce(sum(events), 0) FROM type_counts)::BIGINT AS events,
    (SELECT count(*) FROM type_counts)::BIGINT AS event_types,
    (SELECT active_users FROM users)::BIGINT AS active_users,
    (SELECT coalesce(sum(events) FILTER (WHERE event_type = 'product_sold'), 0) FROM type_counts)::BIGINT AS products_sold,
    (SELECT coalesce(sum(events) FILTER (WHERE event_type = 'product_favorited'), 0) FROM type_counts)::BIGINT AS product_favorites,
    (SELECT coalesce(sum(events) FILTER (WHERE event_type = 'product_contacted'), 0) FROM type_counts)::BIGINT AS product_contacts,
    (SELECT coalesce(sum(events) FILTER (WHERE event_type = 'user_created'), 0) FROM type_counts)::BIGINT AS new_users,
    -- rounded half up on the exact fraction, as the dbt mart does on both engines
    (SELECT floor((200 * events_with_user + active_users) / (2 * nullif(active_users, 0))) / 100.0 FROM users)::DOUBLE AS events_per_active_user,
    (SELECT list({'event_type': event_type, 'events': events} ORDER BY events DESC, event_type) [1:10] FROM type_counts) AS top_types,
    (SELECT list({'hour': hour, 'events': events} ORDER BY hour) FROM hours) AS events_by_hour
"""


def day_globs(lake: Lake, day: date) -> list[str]:
    """One glob per event type for ``day``: only that day's keys are listed and read."""
    types = [
        name
        for name in (p.rstrip("/").rsplit("/", 1)[-1] for p in _ls(lake, "events"))
        if name.startswith("event_type=")
    ]
    return [lake.uri(f"events/{t}/date={day:%Y-%m-%d}/*/*.parquet") for t in sorted(types)]


def _ls(lake: Lake, rel: str) -> list[str]:
    try:
        return lake.fs.ls(f"{lake.root}/{rel}", detail=False)
    except FileNotFoundError:
        return []


def daily_kpis(day: date, lake_url: str | None = None, threads: int | None = None) -> dict:
    """The KPIs of one UTC day, with how long the listing and the query took."""
    lake = Lake(lake_url)
    started = time.perf_counter()
    globs = day_globs(lake, day)
    listed = time.perf_counter()
    con = lake.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        # Expand the per-type globs first: read_parquet fails on a glob that matches nothing
        # (a type without events that day).
        paths = (
            [r[0] for r in con.execute("SELECT file FROM glob(?)", [globs]).fetchall()]
            if globs
            else []
        )
        files = len(paths)
        if not files:
            row = [0, 0, 0, 0, 0, 0, 0, None, [], []]
            names = [
                "events", "event_types", "active_users", "products_sold", "product_favorites",
                "product_contacts", "new_users", "events_per_active_user", "top_types",
                "events_by_hour",
            ]  # fmt: skip
        else:
            cur = con.execute(KPI_SQL, [paths, f"{day:%Y-%m-%d}"])
            names = [d[0] for d in cur.description]
            row = cur.fetchone()
    finally:
        con.close()
    done = time.perf_counter()
    result = dict(zip(names, row, strict=True))
    result.update(
        {
            "date": f"{day:%Y-%m-%d}",
            "lake": lake.url,
            "files_read": files,
            "list_seconds": round(listed - started, 3),
            "query_seconds": round(done - listed, 3),
        }
    )
    return result


def main_json(day: date, lake_url: str | None = None) -> str:
    return json.dumps(daily_kpis(day, lake_url), indent=2, default=str)
