"""The one way into the warehouse: the data dir pinned, the write lock (optional), a DuckDB
connection opened and closed.

Every process that touches ``warehouse.duckdb`` goes through :func:`connect` (a connection)
or :func:`locked` (writers that open their own: dlt, dbt). Dagster sees the same two as the
``warehouse`` resource (``orchestration.lib.warehouse.WarehouseResource``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import duckdb

from tributary import duck, settings
from tributary.locking import warehouse_lock

LOCK_TIMEOUT_SECONDS = 600.0


def pin_data_dir() -> None:
    """Make TRIBUTARY_DATA_DIR absolute in the environment, so that dbt subprocesses (which
    run inside dbt_project/) and dlt resolve the same data dir as this process."""
    os.environ["TRIBUTARY_DATA_DIR"] = str(settings.data_dir())
    os.environ["DBT_LOG_PATH"] = str(settings.data_dir() / "dbt" / "logs")


@contextmanager
def locked(timeout: float | None = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """The data dir pinned and the warehouse lock held (``timeout=0`` tries once and raises
    :class:`~tributary.locking.WarehouseBusy`; ``None`` waits forever)."""
    pin_data_dir()
    with warehouse_lock(timeout=timeout):
        yield


@contextmanager
def connect(
    read_only: bool = False,
    lock: bool = True,
    timeout: float | None = LOCK_TIMEOUT_SECONDS,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse connection, closed on exit; under the lock unless ``lock=False`` (the
    caller already holds it, or reads a warehouse nothing else writes)."""
    pin_data_dir()
    with warehouse_lock(timeout=timeout) if lock else nullcontext():
        path = settings.warehouse_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duck.connect(path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
