"""The warehouse as Dagster sees it: the resource assets and checks open it through, and the
run tag every warehouse writer carries."""

from __future__ import annotations

from contextlib import AbstractContextManager

import dagster as dg
import duckdb

from tributary import warehouse

# Runs carrying this tag are limited to one at a time by the instance's run queue
# (see orchestration/dagster.yaml); the file lock in tributary.locking covers the rest.
WAREHOUSE_WRITER_TAGS = {"tributary/warehouse": "writer"}


class WarehouseResource(dg.ConfigurableResource):
    """``tributary.warehouse`` as a resource: the data dir pinned, the lock, a connection."""

    lock_timeout_seconds: float = warehouse.LOCK_TIMEOUT_SECONDS

    def connect(
        self, read_only: bool = False, lock: bool = True
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return warehouse.connect(read_only, lock, self.lock_timeout_seconds)

    def locked(self) -> AbstractContextManager[None]:
        """For writers that open their own connection (dlt, dbt)."""
        return warehouse.locked(self.lock_timeout_seconds)
