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
    Migration(
        2,
        "write a batch in one call",
        postgres=(
            # The whole group-commit transaction as one server-side call, so the writer sends
            # one statement (one round trip, no BEGIN/COMMIT messages) and PostgreSQL plans
            # its statements once per connection. First the state row is locked (serialising
            # writers: seq in commit order; the row is then written once, with the counters);
            # a VOLATILE function takes a new snapshot for each statement, so the batch
            # statement after the lock sees every commit before it.
            # Then: in-batch repeats keep the first submitted (lowest ord), points more than
            # p_window seconds behind their user's newest are dropped, the primary key decides
            # the rest (ON CONFLICT DO NOTHING, which also waits for a concurrent transaction
            # inserting the same key), and minutes, watermarks and counters are updated from
            # exactly the rows inserted. The numbers travel as JSON: they parse to NUMERIC
            # exactly. Returns the ord of every accepted point.
            """CREATE FUNCTION location_write_batch(p_rows json, p_window double precision)
            RETURNS SETOF integer LANGUAGE plpgsql VOLATILE AS $fn$
            DECLARE
                v_seq bigint;
            BEGIN
                SELECT s.seq + 1 INTO v_seq FROM location_state AS s WHERE s.id = 1 FOR UPDATE;
                RETURN QUERY
                WITH incoming AS (
                    SELECT * FROM json_to_recordset(p_rows) AS r (
                        ord int, user_id text, ts_local timestamp, ts_utc timestamp,
                        time_zone text, lat numeric, long numeric, accuracy numeric,
                        speed numeric
                    )
                ),
                firsts AS (
                    SELECT DISTINCT ON (i.user_id, i.ts_local) i.* FROM incoming AS i
                    ORDER BY i.user_id, i.ts_local, i.ord
                ),
                candidates AS (
                    SELECT f.* FROM firsts AS f
                    LEFT JOIN location_users AS u ON u.user_id = f.user_id
                    WHERE u.max_ts_utc IS NULL
                       OR f.ts_utc >= u.max_ts_utc - make_interval(secs => p_window)
                ),
                inserted AS (
                    INSERT INTO location_points (user_id, ts_local, ts_utc)
                    SELECT c.user_id, c.ts_local, c.ts_utc FROM candidates AS c ORDER BY c.ord
                    ON CONFLICT DO NOTHING
                    RETURNING location_points.user_id, location_points.ts_local
                ),
                accepted AS (
                    SELECT c.* FROM candidates AS c
                    INNER JOIN inserted AS i
                        ON i.user_id = c.user_id AND i.ts_local = c.ts_local
                ),
                minutes AS (
                    INSERT INTO location_minutes AS m (
                        user_id, minute_utc, minute_local, time_zone,
                        sum_lat, sum_long, sum_accuracy, sum_speed, points, seq
                    )
                    SELECT
                        a.user_id,
                        date_trunc('minute', a.ts_utc),
                        (array_agg(date_trunc('minute', a.ts_local) ORDER BY a.ord))[1],
                        (array_agg(a.time_zone ORDER BY a.ord))[1],
                        sum(a.lat), sum(a.long), sum(a.accuracy), sum(a.speed), count(*),
                        v_seq
                    FROM accepted AS a
                    GROUP BY a.user_id, date_trunc('minute', a.ts_utc)
                    ON CONFLICT (user_id, minute_utc) DO UPDATE SET
                        sum_lat = m.sum_lat + excluded.sum_lat,
                        sum_long = m.sum_long + excluded.sum_long,
                        sum_accuracy = m.sum_accuracy + excluded.sum_accuracy,
                        sum_speed = m.sum_speed + excluded.sum_speed,
                        points = m.points + excluded.points,
                        seq = excluded.seq,
                        updated_at = now()
                ),
                users AS (
                    INSERT INTO location_users AS u (user_id, max_ts_utc)
                    SELECT a.user_id, max(a.ts_utc) FROM accepted AS a GROUP BY a.user_id
                    ON CONFLICT (user_id) DO UPDATE
                    SET max_ts_utc = greatest(u.max_ts_utc, excluded.max_ts_utc)
                ),
                counters AS (
                    UPDATE location_state SET
                        seq = v_seq,
                        accepted = location_state.accepted + (SELECT count(*) FROM accepted),
                        duplicates = location_state.duplicates
                            + (SELECT count(*) FROM incoming)
                            - (SELECT count(*) FROM accepted)
                    WHERE id = 1
                )
                SELECT a.ord FROM accepted AS a;
            END
            $fn$""",
        ),
        sqlite=(),
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
