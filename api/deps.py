"""Dependencies: a cursor on a domain's newest serving snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import cache

import duckdb

from tributary.serving import SnapshotReader


@cache
def reader(domain: str) -> SnapshotReader:
    return SnapshotReader(domain)


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
