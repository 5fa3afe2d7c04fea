"""Versioned schema migrations of the location store, for both dialects.

A small runner rather than alembic: the two stores need different DDL (NUMERIC vs exact
decimal TEXT sums, timestamps), the hot path talks to the drivers directly (no SQLAlchemy
models for alembic to diff against), and two API workers start at the same moment, so
applying must be serialised — here under ``pg_advisory_xact_lock`` or SQLite's
``BEGIN IMMEDIATE``, in one transaction with the version bookkeeping (DDL is transactional in
both). Migrations are append-only: never edit one that has shipped, add the next version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    postgres: tuple[str, ...]
    sqlite: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "points, minutes, users and state",
        postgres=(
            # Raw keys, only for the de-duplication window (see store.py).
            """CREATE TABLE location_points (
                user_id TEXT NOT NULL,
                ts_local TIMESTAMP NOT NULL,
                ts_utc TIMESTAMP NOT NULL,
                received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, ts_local)
            )""",
            "CREATE INDEX location_points_utc ON location_points (user_id, ts_utc)",
            """CREATE TABLE location_minutes (
                user_id TEXT NOT NULL,
                minute_utc TIMESTAMP NOT NULL,
                minute_local TIMESTAMP NOT NULL,
                time_zone TEXT NOT NULL,
                sum_lat NUMERIC NOT NULL,
                sum_long NUMERIC NOT NULL,
                sum_accuracy NUMERIC NOT NULL,
                sum_speed NUMERIC NOT NULL,
                points BIGINT NOT NULL,
                seq BIGINT NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, minute_utc)
            )""",
            "CREATE INDEX location_minutes_seq ON location_minutes (seq)",
            """CREATE TABLE location_users (
                user_id TEXT PRIMARY KEY,
                max_ts_utc TIMESTAMP NOT NULL
            )""",
            """CREATE TABLE location_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq BIGINT NOT NULL,
                accepted BIGINT NOT NULL,
                duplicates BIGINT NOT NULL
            )""",
            "INSERT INTO location_state VALUES (1, 0, 0, 0)",
        ),
        sqlite=(
            """CREATE TABLE location_points (
                user_id TEXT NOT NULL,
                ts_local TEXT NOT NULL,
                ts_utc TEXT NOT NULL,
                received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (user_id, ts_local)
            ) WITHOUT ROWID""",
            "CREATE INDEX location_points_utc ON location_points (user_id, ts_utc)",
            # Sums are exact decimal texts, added with the dec_add() function the store
            # registers (SQLite has no decimal type).
            """CREATE TABLE location_minutes (
                user_id TEXT NOT NULL,
                minute_utc TEXT NOT NULL,
                minute_local TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                sum_lat TEXT NOT NULL,
                sum_long TEXT NOT NULL,
                sum_accuracy TEXT NOT NULL,
                sum_speed TEXT NOT NULL,
                points INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (user_id, minute_utc)
            ) WITHOUT ROWID""",
            "CREATE INDEX location_minutes_seq ON location_minutes (seq)",
            """CREATE TABLE location_users (
                user_id TEXT PRIMARY KEY,
                max_ts_utc TEXT NOT NULL
            ) WITHOUT ROWID""",
            """CREATE TABLE location_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                accepted INTEGER NOT NULL,
                duplicates INTEGER NOT NULL
            )""",
            "INSERT INTO location_state VALUES (1, 0, 0, 0)",
        ),
    ),
)

BOOKKEEPING = """CREATE TABLE IF NOT EXISTS location_schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""


def pending(applied: set[int]) -> list[Migration]:
    return [m for m in MIGRATIONS if m.version not in applied]


def migrate_postgres(con) -> list[int]:
    """Apply pending migrations on a psycopg connection; returns the versions applied."""
    with con.transaction(), con.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('tributary.location.migrations'))")
        cur.execute(BOOKKEEPING)
        cur.execute("SELECT version FROM location_schema_migrations")
        todo = pending({row[0] for row in cur.fetchall()})
        for m in todo:
            for statement in m.postgres:
                cur.execute(statement)
            cur.execute(
                "INSERT INTO location_schema_migrations (version, name) VALUES (%s, %s)",
                (m.version, m.name),
            )
    return [m.version for m in todo]


def migrate_sqlite(con) -> list[int]:
    """Apply pending migrations on a sqlite3 connection in autocommit mode."""
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(BOOKKEEPING)
        todo = pending(
            {r[0] for r in con.execute("SELECT version FROM location_schema_migrations")}
        )
        for m in todo:
            for statement in m.sqlite:
                con.execute(statement)
            con.execute(
                "INSERT INTO location_schema_migrations (version, name) VALUES (?, ?)",
                (m.version, m.name),
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return [m.version for m in todo]
