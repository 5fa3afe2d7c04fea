"""Serving snapshots as SQLite files: the same versioned, immutable files and atomic
``CURRENT`` pointer as :mod:`tributary.serving`, for endpoints whose whole answer is one
primary-key range read and must cost microseconds, not DuckDB's fraction of a millisecond
per query.

Tables are ``WITHOUT ROWID`` (the rows live in the primary-key B-tree, so a user's rows are
one seek plus a few adjacent cells), filled in key order from a DuckDB query on the
warehouse. Readers open the file ``immutable=1`` (no locks, no journal checks): a published
version is never written again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from tributary import serving, settings
from tributary.serving import SnapshotMissing, SnapshotUnreadable, read_pointer

FETCH_ROWS = 100_000
MMAP_BYTES = 1 << 40


@dataclass(frozen=True)
class SqliteTable:
    """``ddl`` creates the table (a ``WITHOUT ROWID`` primary key); ``select`` runs on the
    warehouse and yields its rows, in primary-key order, column for column."""

    name: str
    ddl: str
    select: str


def publish(
    domain: str,
    tables: Sequence[SqliteTable],
    warehouse: duckdb.DuckDBPyConnection,
    info: Mapping[str, str] | None = None,
) -> Path:
    """Write a new SQLite snapshot of ``tables`` and make it current. The caller holds the
    warehouse lock."""
    folder = serving.domain_dir(domain)
    folder.mkdir(parents=True, exist_ok=True)
    version = serving.new_version()
    target = folder / f"{version}.sqlite"
    tmp = folder / f".{version}.sqlite.tmp"
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        for table in tables:
            con.execute(table.ddl)
            cur = warehouse.execute(table.select)
            width = len(cur.description)
            insert = f"INSERT INTO {table.name} VALUES ({', '.join('?' * width)})"
            while rows := cur.fetchmany(FETCH_ROWS):
                con.executemany(insert, rows)
        meta = {
            "domain": domain,
            "version": version,
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(info or {}),
        }
        con.execute("CREATE TABLE snapshot_info (key TEXT PRIMARY KEY, value TEXT)")
        con.executemany("INSERT INTO snapshot_info VALUES (?, ?)", list(meta.items()))
        con.commit()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    tmp.rename(target)
    serving.make_current(target)
    return target


@lru_cache(maxsize=64)
def _pointer(data_dir: Path, domain: str) -> str:
    """``serving/<domain>/CURRENT`` of a data dir, as a string (built once, not per request)."""
    return str(serving.domain_dir_of(data_dir, domain) / "CURRENT")


class SqliteSnapshotReader:
    """The newest SQLite snapshot of one domain (one instance per process; the connection is
    shared by the threads of the process, SQLite serialises them)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._path: Path | None = None
        self._name, self._pointer = "", ""  # what the current connection was opened for

    def connection(self) -> sqlite3.Connection:
        """A connection on the newest version: one small file read when nothing changed."""
        pointer = _pointer(settings.data_dir(), self.domain)
        try:
            name = read_pointer(pointer)
        except FileNotFoundError:
            name = ""
        if not name:
            raise SnapshotMissing(self.domain)
        if name == self._name and pointer == self._pointer and self._con is not None:
            return self._con
        path = Path(pointer).parent / name
        with self._lock:
            if path != self._path or self._con is None:
                try:
                    con = sqlite3.connect(
                        f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
                    )
                    con.execute("SELECT count(*) FROM snapshot_info").fetchone()
                    # Pages straight from the page cache, not a pread() per B-tree page
                    # (SQLite caps it at 2 GB; the rest of a larger file is read as before).
                    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
                except sqlite3.Error as exc:
                    raise SnapshotUnreadable(
                        self.domain, f"snapshot {path.name} cannot be opened: {exc}"
                    ) from exc
                # The previous connection is closed when the last reference to it goes.
                self._con, self._path = con, path
                self._name, self._pointer = name, pointer
            return self._con

    def info(self) -> dict[str, str]:
        rows = self.connection().execute("SELECT key, value FROM snapshot_info").fetchall()
        return dict(rows)

    def row_counts(self) -> dict[str, int | str]:
        """Path and row count of every table of the current version (asset metadata)."""
        con = self.connection()
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts: dict[str, int | str] = {"path": str(self._path)}
        for name in names:
            counts[f"rows.{name}"] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        return counts
