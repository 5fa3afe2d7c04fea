"""The warehouse write lock.

DuckDB lets one process open a database file for writing. Dagster runs, the near-real-time
sensors and the serving publisher all write ``warehouse.duckdb``; they take this advisory
file lock around each write session so they queue for a moment instead of failing on
"Could not set lock on file".
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tributary import settings


class WarehouseBusy(TimeoutError):
    """The lock was not free within the timeout."""


@contextmanager
def warehouse_lock(timeout: float | None = 600.0, path: Path | None = None) -> Iterator[None]:
    """Hold the cross-process warehouse lock. ``timeout=0`` tries once; ``None`` waits forever."""
    lock_path = path or settings.warehouse_path().with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise WarehouseBusy(f"warehouse lock {lock_path} busy") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
