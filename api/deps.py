"""Dependencies: a cursor on a domain's newest serving snapshot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import duckdb

from tributary.serving import SnapshotReader


@cache
def reader(domain: str) -> SnapshotReader:
    return SnapshotReader(domain)


def snapshot(domain: str) -> Callable[[], Iterator[duckdb.DuckDBPyConnection]]:
    """A FastAPI dependency yielding a cursor on ``domain``'s snapshot, closed after the request."""

    def dependency() -> Iterator[duckdb.DuckDBPyConnection]:
        cur = reader(domain).cursor()
        try:
            yield cur
        finally:
            cur.close()

    return dependency
