"""Dependencies: a cursor on a domain's newest serving snapshot (or, for the real-time domains,
a connection on its real-time store: :mod:`tributary.realtime`); the patterns parameters share
(one regex for the OpenAPI schema and the hand validation that answers 400 with it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import cache

import duckdb

from tributary.realtime import RealtimeReader
from tributary.serving import SnapshotReader
from tributary.serving_sqlite import SqliteSnapshotReader

SQLITE_DOMAINS = {"events"}  # published as SQLite (tributary/serving_sqlite.py)

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
IDENTIFIER = r"^[^\x00-\x1f\x7f]+$"  # no control characters


# Domains served from a real-time store instead of snapshots.
REALTIME_DOMAINS = frozenset({"gaming"})


@cache
def reader(domain: str) -> SnapshotReader | SqliteSnapshotReader | RealtimeReader:
    """The process's reader of ``domain``: its real-time store, SQLite or DuckDB snapshot (each
    kind answers ``info()``)."""
    if domain in REALTIME_DOMAINS:
        return RealtimeReader(domain)
    return SqliteSnapshotReader(domain) if domain in SQLITE_DOMAINS else SnapshotReader(domain)


def snapshot(domain: str) -> Callable[[], AsyncIterator[duckdb.DuckDBPyConnection]]:
    """A FastAPI dependency yielding a cursor on ``domain``'s snapshot, closed after the request.

    Async on purpose: opening a cursor is cheap (one small file read), and a sync generator
    dependency would cost two extra thread-pool hops per request (measured: about half of the
    user-stats latency over HTTP)."""

    async def dependency() -> AsyncIterator[duckdb.DuckDBPyConnection]:
        cur = reader(domain).cursor()
        try:
            yield cur
        finally:
            cur.close()

    return dependency
