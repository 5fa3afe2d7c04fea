"""The operational location store: PostgreSQL (``LOCATION_DB_URL``) or embedded SQLite.

Tables (see migrations.py):

- ``location_minutes``: the long-term store, one row per (user, UTC minute) holding exact
  decimal *sums* of lat, long, accuracy and speed and the point count, so every average is
  exact and a new point only adds to its minute; ``seq`` is the commit sequence of the last
  change (the warehouse load's incremental cursor) and ``minute_local``/``time_zone`` those of
  the minute's first point.
- ``location_points``: only the de-duplication keys ``(user_id, ts_local)`` of recent points.
- ``location_users``: each user's newest point (UTC), the de-duplication watermark.
- ``location_state``: the commit sequence and the accepted / duplicate counters.

De-duplication: a point is a duplicate when its ``(user_id, timestamp)`` was accepted before
(the first submitted wins, enforced by the primary key, so it holds across concurrent
requests and API workers) *or* when it is more than the de-duplication window W
(``LOCATION_DEDUP_WINDOW_SECONDS``, 6 h) older, in UTC, than the newest point of its user.
Keys older than that are deleted by ``cleanup``. For a sender in chronological order this is
exact whatever W: every point it sends after a key is newer, so a point W behind the newest
one can only be a re-send of an already accepted (and possibly cleaned up) point. W only
bounds how far out of order points may arrive and still be accepted (retries, concurrent
uploads from one phone, the repeated hour of a DST fall-back: all well within 6 h).

Every write transaction first locks the one ``location_state`` row (and advances its ``seq``
before committing), which serialises writers (across processes too): ``seq`` then grows in
commit order, so a reader that saw ``seq = n`` has seen every change ≤ n, and the watermark
check cannot race. Throughput comes from group commit (committer.py): one transaction carries
many requests' points.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Context, Decimal
from pathlib import Path

import orjson

from tributary import settings
from tributary.location import migrations
from tributary.location.points import Point
from tributary.location.settings import LocationSettings

# Exact: sums of up to 17-significant-digit inputs stay far below 60 digits.
DECIMAL = Context(prec=60)


@dataclass(frozen=True)
class MinuteRow:
    user_id: str
    minute_utc: datetime
    minute_local: datetime
    time_zone: str
    sum_lat: Decimal
    sum_long: Decimal
    sum_accuracy: Decimal
    sum_speed: Decimal
    points: int
    seq: int


@dataclass
class _Minute:
    minute_local: datetime
    zone: str
    sums: list[Decimal]
    points: int = 0


@dataclass
class BatchPlan:
    """What a batch will try to insert: indexes of first occurrences that are not late."""

    candidates: list[int]
    duplicates: int


def plan_batch(points: Sequence[Point], watermarks: dict[str, datetime], window: int) -> BatchPlan:
    """Drop in-batch repeats (the first submitted wins) and points W behind their user."""
    seen: set[tuple[str, datetime]] = set()
    lag = timedelta(seconds=window)
    candidates = []
    for i, p in enumerate(points):
        key = (p.user_id, p.ts_local)
        if key in seen:
            continue
        seen.add(key)
        newest = watermarks.get(p.user_id)
        if newest is not None and newest - p.ts_utc > lag:  # (newest - lag: year 1 overflows)
            continue
        candidates.append(i)
    return BatchPlan(candidates, len(points) - len(candidates))


def aggregate(points: Sequence[Point]) -> dict[tuple[str, datetime], _Minute]:
    """Exact per-(user, UTC minute) sums of accepted points, in submission order."""
    groups: dict[tuple[str, datetime], _Minute] = {}
    for p in points:
        key = (p.user_id, p.minute_utc)
        group = groups.get(key)
        if group is None:
            zero = Decimal(0)
            group = groups[key] = _Minute(p.minute_local, p.zone, [zero, zero, zero, zero])
        group.sums = [DECIMAL.add(s, Decimal(t)) for s, t in zip(group.sums, p.texts, strict=True)]
        group.points += 1
    return groups


def newest_per_user(points: Sequence[Point]) -> dict[str, datetime]:
    newest: dict[str, datetime] = {}
    for p in points:
        if p.user_id not in newest or p.ts_utc > newest[p.user_id]:
            newest[p.user_id] = p.ts_utc
    return newest


class Store(ABC):
    """One connection to the store; use it from one thread at a time."""

    dialect: str

    def __init__(self) -> None:
        self.window = LocationSettings().dedup_window_seconds

    @abstractmethod
    def write_batch(self, points: Sequence[Point]) -> list[bool]:
        """Store a batch in one transaction; per point True if accepted, False if duplicate."""

    @abstractmethod
    def write_naive(self, point: Point) -> bool:
        """The benchmark baseline: one INSERT of the key, one minute upsert, one commit."""

    @abstractmethod
    def minutes(self, user_id: str, start: datetime, end: datetime) -> list[MinuteRow]:
        """The user's minutes with ``start <= minute_utc < end``, oldest first."""

    @abstractmethod
    def changes_after(self, position: tuple[int, str, datetime], limit: int) -> list[MinuteRow]:
        """Minutes after ``position`` = (seq, user_id, minute_utc) in that order: with
        ``(n, "", datetime.min)`` every minute changed by the commits after n (the
        warehouse load's cursor), page by page."""

    @abstractmethod
    def versions(self) -> list[tuple[str, datetime, int, int]]:
        """(user_id, minute_utc, seq, points) of every minute (the reconciliation check)."""

    def state(self) -> dict[str, int]:
        """seq, accepted and duplicates counters, and the number of raw keys kept (the same
        SQL on both stores; ``self.con`` is a psycopg or sqlite3 connection)."""
        seq, accepted, duplicates = self.con.execute(
            "SELECT seq, accepted, duplicates FROM location_state WHERE id = 1"
        ).fetchone()
        raw = self.con.execute("SELECT count(*) FROM location_points").fetchone()[0]
        return {"seq": seq, "accepted": accepted, "duplicates": duplicates, "raw_keys": raw}

    @abstractmethod
    def point_keys(self) -> set[tuple[str, datetime]]:
        """Every raw key kept (tests and the crash check)."""

    @abstractmethod
    def cleanup(self) -> int:
        """Delete raw keys W behind their user's newest point; returns how many."""

    @abstractmethod
    def close(self) -> None: ...


def is_data_error(exc: BaseException) -> bool:
    """The database refused the data itself (PostgreSQL SQLSTATE classes 22 and 23, SQLite's
    integrity and data errors): the same point would fail again, unlike a lost connection."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
        return True
    return str(getattr(exc, "sqlstate", None))[:2] in ("22", "23")


def accepted_flags(points: Sequence[Point], accepted: set[int]) -> list[bool]:
    """Per point of a batch, in order: True if its index is in ``accepted``."""
    return [i in accepted for i in range(len(points))]


# ----------------------------------------------------------------------------- PostgreSQL


# The whole group-commit transaction is one server-side call (migration 2). The connection is
# in autocommit mode, so the statement commits before the server sends ReadyForQuery, which
# execute() waits for: when it returns, the batch is durable. One round trip per batch.
WRITE_BATCH = "SELECT location_write_batch(%s::json, %s)"


def batch_json(points: Sequence[Point]) -> str:
    """The batch as the JSON array ``location_write_batch`` reads (``ord`` = submission order;
    the numbers as their shortest decimal text, which PostgreSQL parses to NUMERIC exactly)."""
    return orjson.dumps(
        [
            {
                "ord": i,
                "user_id": p.user_id,
                "ts_local": p.ts_local,
                "ts_utc": p.ts_utc,
                "time_zone": p.zone,
                "lat": p.lat,
                "long": p.long,
                "accuracy": p.accuracy,
                "speed": p.speed,
            }
            for i, p in enumerate(points)
        ]
    ).decode()


class PostgresStore(Store):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        super().__init__()
        self.con = psycopg.connect(_libpq_url(url), autocommit=True)

    def write_batch(self, points: Sequence[Point]) -> list[bool]:
        if not points:
            return []
        with self.con.cursor() as cur:
            cur.execute(WRITE_BATCH, (batch_json(points), self.window), prepare=True)
            accepted = {row[0] for row in cur.fetchall()}
        return accepted_flags(points, accepted)

    def _upsert_minutes(self, cur, kept: Sequence[Point], seq: int) -> None:
        groups = aggregate(kept)
        if not groups:
            return
        cols: list[list] = [[] for _ in range(9)]
        for (user_id, minute), g in groups.items():
            for col, value in zip(
                cols,
                (user_id, minute, g.minute_local, g.zone, *map(str, g.sums), g.points),
                strict=True,
            ):
                col.append(value)
        cur.execute(
            """
            INSERT INTO location_minutes AS m (
                user_id, minute_utc, minute_local, time_zone,
                sum_lat, sum_long, sum_accuracy, sum_speed, points, seq
            )
            SELECT *, %s FROM unnest(
                %s::text[], %s::timestamp[], %s::timestamp[], %s::text[],
                %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[], %s::bigint[]
            )
            ON CONFLICT (user_id, minute_utc) DO UPDATE SET
                sum_lat = m.sum_lat + excluded.sum_lat,
                sum_long = m.sum_long + excluded.sum_long,
                sum_accuracy = m.sum_accuracy + excluded.sum_accuracy,
                sum_speed = m.sum_speed + excluded.sum_speed,
                points = m.points + excluded.points,
                seq = excluded.seq,
                updated_at = now()
            """,
            (seq, *cols),
        )

    def write_naive(self, point: Point) -> bool:
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute(
                "INSERT INTO location_points (user_id, ts_local, ts_utc) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING RETURNING 1",
                (point.user_id, point.ts_local, point.ts_utc),
            )
            if cur.fetchone() is None:
                return False
            self._upsert_minutes(cur, [point], 0)
        return True

    _SELECT = (
        "SELECT user_id, minute_utc, minute_local, time_zone, sum_lat, sum_long, sum_accuracy,"
        " sum_speed, points, seq FROM location_minutes"
    )

    def minutes(self, user_id: str, start: datetime, end: datetime) -> list[MinuteRow]:
        rows = self.con.execute(
            f"{self._SELECT} WHERE user_id = %s AND minute_utc >= %s AND minute_utc < %s"
            " ORDER BY minute_utc",
            (user_id, start, end),
        ).fetchall()
        return [MinuteRow(*r) for r in rows]

    def changes_after(self, position: tuple[int, str, datetime], limit: int) -> list[MinuteRow]:
        rows = self.con.execute(
            f"{self._SELECT} WHERE (seq, user_id, minute_utc) > (%s, %s, %s)"
            " ORDER BY seq, user_id, minute_utc LIMIT %s",
            (*position, limit),
        ).fetchall()
        return [MinuteRow(*r) for r in rows]

    def versions(self) -> list[tuple[str, datetime, int, int]]:
        return self.con.execute(
            "SELECT user_id, minute_utc, seq, points FROM location_minutes"
        ).fetchall()

    def point_keys(self) -> set[tuple[str, datetime]]:
        return set(self.con.execute("SELECT user_id, ts_local FROM location_points").fetchall())

    def cleanup(self) -> int:
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute(CLEANUP_LOCK)
            cur.execute(CLEANUP, (self.window,))
            return cur.rowcount

    def close(self) -> None:
        self.con.close()


CLEANUP_LOCK = "SELECT seq FROM location_state WHERE id = 1 FOR UPDATE"
CLEANUP = """
DELETE FROM location_points AS p USING location_users AS u
WHERE p.user_id = u.user_id AND p.ts_utc < u.max_ts_utc - make_interval(secs => %s)
"""


class AsyncPostgresWriter:
    """The group committer's PostgreSQL connection, driven from the event loop (psycopg's
    async connection): a batch costs no thread hand-off and no contention for the GIL with
    the requests being parsed. Same statement, same guarantees as ``PostgresStore``."""

    def __init__(self, con, window: int) -> None:
        self.con, self.window = con, window

    @classmethod
    async def connect(cls, url: str) -> AsyncPostgresWriter:
        import psycopg

        con = await psycopg.AsyncConnection.connect(_libpq_url(url), autocommit=True)
        return cls(con, LocationSettings().dedup_window_seconds)

    async def write_batch(self, points: Sequence[Point]) -> list[bool]:
        if not points:
            return []
        async with self.con.cursor() as cur:
            await cur.execute(WRITE_BATCH, (batch_json(points), self.window), prepare=True)
            accepted = {row[0] for row in await cur.fetchall()}
        return accepted_flags(points, accepted)

    async def cleanup(self) -> int:
        async with self.con.transaction(), self.con.cursor() as cur:
            await cur.execute(CLEANUP_LOCK)
            await cur.execute(CLEANUP, (self.window,))
            return cur.rowcount

    async def close(self) -> None:
        await self.con.close()


def _libpq_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+psycopg://`` URLs as well as libpq ones."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}" if sep else url


# ----------------------------------------------------------------------------- SQLite


def _fmt(ts: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (the year always four digits, so text order is time order);
    isoformat is the C fast path (strftime/strptime cost ~13 us per point here)."""
    return ts.isoformat(" ", "seconds")


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dec_add(a: str, b: str) -> str:
    return str(DECIMAL.add(Decimal(a), Decimal(b)))


class SqliteStore(Store):
    """Embedded default: SQLite in WAL mode with ``synchronous=FULL`` (a commit is on disk
    before it returns); API workers in several processes write through ``BEGIN IMMEDIATE``.

    Writers first take an exclusive ``flock`` on ``<file>.writer-lock``: SQLite's own busy
    handler polls with growing sleeps (up to 100 ms each), which gave stalls of 0.1-1.4 s
    when two workers' writers met; the kernel lock queues them and wakes the next at once
    (and is released if the process dies, kill -9 included)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.create_function("dec_add", 2, _dec_add, deterministic=True)
        self._lock = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o644)

    def _begin(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            raise

    def _end(self, statement: str) -> None:
        """COMMIT or ROLLBACK, then let the next writer in."""
        try:
            self.con.execute(statement)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def write_batch(self, points: Sequence[Point]) -> list[bool]:
        if not points:
            return []
        con = self.con
        self._begin()
        try:
            seq = con.execute(
                "UPDATE location_state SET seq = seq + 1 WHERE id = 1 RETURNING seq"
            ).fetchone()[0]
            users = sorted({p.user_id for p in points})
            watermarks = {}
            for user in users:
                row = con.execute(
                    "SELECT max_ts_utc FROM location_users WHERE user_id = ?", (user,)
                ).fetchone()
                if row:
                    watermarks[user] = _ts(row[0])
            plan = plan_batch(points, watermarks, self.window)
            accepted = set()
            for i in plan.candidates:
                p = points[i]
                cur = con.execute(
                    "INSERT OR IGNORE INTO location_points (user_id, ts_local, ts_utc)"
                    " VALUES (?, ?, ?)",
                    (p.user_id, _fmt(p.ts_local), _fmt(p.ts_utc)),
                )
                if cur.rowcount == 1:
                    accepted.add(i)
            kept = [points[i] for i in sorted(accepted)]
            self._upsert_minutes(kept, seq)
            con.executemany(
                """
                INSERT INTO location_users (user_id, max_ts_utc) VALUES (?, ?)
                ON CONFLICT (user_id) DO UPDATE SET max_ts_utc = max(max_ts_utc, excluded.max_ts_utc)
                """,
                [(u, _fmt(ts)) for u, ts in newest_per_user(kept).items()],
            )
            con.execute(
                "UPDATE location_state SET accepted = accepted + ?, duplicates = duplicates + ?"
                " WHERE id = 1",
                (len(kept), len(points) - len(kept)),
            )
            self._end("COMMIT")
        except BaseException:
            self._end("ROLLBACK")
            raise
        return accepted_flags(points, accepted)

    def _upsert_minutes(self, kept: Sequence[Point], seq: int) -> None:
        self.con.executemany(
            """
            INSERT INTO location_minutes (
                user_id, minute_utc, minute_local, time_zone,
                sum_lat, sum_long, sum_accuracy, sum_speed, points, seq
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, minute_utc) DO UPDATE SET
                sum_lat = dec_add(sum_lat, excluded.sum_lat),
                sum_long = dec_add(sum_long, excluded.sum_long),
                sum_accuracy = dec_add(sum_accuracy, excluded.sum_accuracy),
                sum_speed = dec_add(sum_speed, excluded.sum_speed),
                points = points + excluded.points,
                seq = excluded.seq,
                updated_at = CURRENT_TIMESTAMP
            """,
            [
                (user, _fmt(minute), _fmt(g.minute_local), g.zone, *map(str, g.sums), g.points, seq)
                for (user, minute), g in aggregate(kept).items()
            ],
        )

    def write_naive(self, point: Point) -> bool:
        self._begin()
        try:
            cur = self.con.execute(
                "INSERT OR IGNORE INTO location_points (user_id, ts_local, ts_utc) VALUES (?, ?, ?)",
                (point.user_id, _fmt(point.ts_local), _fmt(point.ts_utc)),
            )
            if cur.rowcount == 1:
                self._upsert_minutes([point], 0)
            self._end("COMMIT")
        except BaseException:
            self._end("ROLLBACK")
            raise
        return cur.rowcount == 1

    _SELECT = PostgresStore._SELECT

    @staticmethod
    def _row(r: tuple) -> MinuteRow:
        return MinuteRow(
            r[0], _ts(r[1]), _ts(r[2]), r[3], *(Decimal(x) for x in r[4:8]), int(r[8]), int(r[9])
        )

    def minutes(self, user_id: str, start: datetime, end: datetime) -> list[MinuteRow]:
        rows = self.con.execute(
            f"{self._SELECT} WHERE user_id = ? AND minute_utc >= ? AND minute_utc < ?"
            " ORDER BY minute_utc",
            (user_id, _fmt(start), _fmt(end)),
        ).fetchall()
        return [self._row(r) for r in rows]

    def changes_after(self, position: tuple[int, str, datetime], limit: int) -> list[MinuteRow]:
        seq, user_id, minute = position
        rows = self.con.execute(
            f"{self._SELECT} WHERE (seq, user_id, minute_utc) > (?, ?, ?)"
            " ORDER BY seq, user_id, minute_utc LIMIT ?",
            (seq, user_id, _fmt(minute) if minute > datetime.min else "", limit),
        ).fetchall()
        return [self._row(r) for r in rows]

    def versions(self) -> list[tuple[str, datetime, int, int]]:
        rows = self.con.execute(
            "SELECT user_id, minute_utc, seq, points FROM location_minutes"
        ).fetchall()
        return [(u, _ts(m), int(s), int(p)) for u, m, s, p in rows]

    def point_keys(self) -> set[tuple[str, datetime]]:
        rows = self.con.execute("SELECT user_id, ts_local FROM location_points").fetchall()
        return {(u, _ts(t)) for u, t in rows}

    def cleanup(self) -> int:
        self._begin()
        try:
            cur = self.con.execute(
                """
                DELETE FROM location_points
                WHERE ts_utc < (
                    SELECT datetime(u.max_ts_utc, ?) FROM location_users AS u
                    WHERE u.user_id = location_points.user_id
                )
                """,
                (f"-{self.window} seconds",),
            )
            self._end("COMMIT")
        except BaseException:
            self._end("ROLLBACK")
            raise
        return cur.rowcount

    def close(self) -> None:
        self.con.close()
        os.close(self._lock)


# ----------------------------------------------------------------------------- opening

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def open_store(url: str | None = None, path: Path | None = None) -> Store:
    """The configured store (``LOCATION_DB_URL`` or the embedded file), migrated to the newest
    schema on first open in this process."""
    url = url if url is not None else LocationSettings().db_url
    if url:
        store: Store = PostgresStore(url)
        key = url
    else:
        path = path or settings.data_dir() / "location" / "location.sqlite"
        store = SqliteStore(path)
        key = str(path)
    with _migrate_lock:
        if key not in _migrated:
            if isinstance(store, PostgresStore):
                migrations.migrate_postgres(store.con)
            else:
                migrations.migrate_sqlite(store.con)
            _migrated.add(key)
    return store
