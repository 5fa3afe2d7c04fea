"""Real-time serving stores: tables that take appends and answer reads at the same time.

A domain whose served tables must follow its input within a second (gaming) cannot use the
snapshot publisher of :mod:`tributary.serving`: a snapshot copies every served row on each
publish, so its cost grows with the table, and it is written under the shared warehouse lock,
so any other domain's run holds it back. Instead the domain's loader keeps its served tables
in one SQLite database in WAL mode, ``serving/<domain>/realtime.sqlite``, outside the
warehouse and its lock:

- a load is one write transaction holding only what changed (new rows, the aggregates of the
  keys they touch) plus the manifest of the files it read, so it costs the same at 1 k or
  10 M rows and a crash leaves either all of it or none of it;
- readers (the API) open the file read-only; WAL gives every statement the last committed
  state, readers never wait for the writer and the writer never waits for readers;
- one writer at a time per store (:func:`store_lock`, a file lock beside the database).

:class:`RealtimeReader` has the same two methods as :class:`tributary.serving.SnapshotReader`
(``cursor()``, ``info()``) and raises the same errors, so the API serves either the same way.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tributary import settings
from tributary.locking import warehouse_lock
from tributary.serving import SnapshotMissing, SnapshotUnreadable

STORE_FILE = "realtime.sqlite"
META_DDL = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
BUSY_TIMEOUT_SECONDS = 30.0
log = logging.getLogger("tributary.serving")


def store_path(domain: str) -> Path:
    return settings.serving_dir() / domain / STORE_FILE


@contextmanager
def store_lock(domain: str, timeout: float | None = 600.0) -> Iterator[None]:
    """The store's writer lock (not the warehouse's): held while planning and applying a
    load, so two writers never read the same pending file."""
    path = store_path(domain).with_suffix(".lock")
    with warehouse_lock(timeout=timeout, path=path):
        yield


def open_writer(domain: str, schema: str) -> sqlite3.Connection:
    """A writer connection (WAL, autocommit: callers open transactions with
    ``BEGIN IMMEDIATE``), with ``schema`` (idempotent DDL) and the ``meta`` table created."""
    path = store_path(domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a process crash loses nothing committed; a power loss may lose the
    # last transactions, whose files are then simply pending again (the manifest is inside).
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(f"BEGIN; {META_DDL}; {schema}; COMMIT;")
    return con


def set_meta(con: sqlite3.Connection, values: Mapping[str, str]) -> None:
    """Inside the caller's transaction: the store's ``meta`` rows (version, published_at …)."""
    con.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RealtimeReader:
    """Read-only access to one domain's real-time store (one instance per process is enough;
    every request opens its own connection, which costs well under a millisecond)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._logged: str | None = None

    def _unreadable(self, reason: str) -> SnapshotUnreadable:
        if reason != self._logged:
            self._logged = reason
            log.error("%s real-time store unavailable: %s", self.domain, reason)
        return SnapshotUnreadable(self.domain, reason)

    def cursor(self) -> sqlite3.Connection:
        """A connection on the last committed state; each statement reads one committed
        transaction (never half a load). Raises ``SnapshotMissing`` before the first load."""
        path = store_path(self.domain)
        if not path.exists():
            raise SnapshotMissing(self.domain)
        try:
            con = sqlite3.connect(
                f"file:{path}?mode=ro",
                uri=True,
                timeout=BUSY_TIMEOUT_SECONDS,
                check_same_thread=False,  # opened in the event loop, used in a worker thread
            )
        except sqlite3.Error as exc:
            raise self._unreadable(f"{path.name} cannot be opened: {exc}") from exc
        try:
            published = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        except sqlite3.Error as exc:
            con.close()
            raise self._unreadable(f"{path.name} cannot be read: {exc}") from exc
        if published is None:
            con.close()
            raise SnapshotMissing(self.domain)
        return con

    def info(self) -> dict[str, str]:
        con = self.cursor()
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
