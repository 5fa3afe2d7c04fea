"""What the events endpoints serve from a snapshot: the per-user daily figures and the known
users (scenario 3), copied from the dbt marts ``events.user_days`` / ``events.users`` into a
SQLite snapshot (:mod:`tributary.serving_sqlite`) after each build.

``user_days`` is keyed (user_id, day) with ``day`` as days since 1970-01-01, so the stats of
the last N days of one user are one range read of the primary key; ``users`` tells an unknown
user (404) from one without figures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tributary.marts import marts_connection
from tributary.serving_sqlite import SqliteTable, publish

DOMAIN = "events"
SERVED_TABLES = [
    SqliteTable(
        "user_days",
        "CREATE TABLE user_days (user_id TEXT NOT NULL, day INTEGER NOT NULL, "
        "products_contacted INTEGER NOT NULL, favourited INTEGER NOT NULL, "
        "products_sold INTEGER NOT NULL, PRIMARY KEY (user_id, day)) WITHOUT ROWID",
        "SELECT user_id, (event_date - DATE '1970-01-01')::INTEGER AS day, products_contacted, "
        "favourited, products_sold FROM events.user_days ORDER BY user_id, event_date",
    ),
    SqliteTable(
        "users",
        "CREATE TABLE users (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
        "SELECT user_id FROM events.users ORDER BY user_id",
    ),
]


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Publish the snapshot unless dbt has not built the marts yet (then None), reading them
    where the selected engine built them (:mod:`tributary.marts`). The caller holds the
    warehouse lock."""
    with marts_connection(warehouse) as marts:
        built = marts.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'events' AND table_name IN ('user_days', 'users')"
        ).fetchone()[0]
        return publish(DOMAIN, SERVED_TABLES, marts) if built == 2 else None
