"""What a gaming load tells Dagster: the same asset events whoever loaded.

The landing sensor returns them in its ``SensorResult``; the follow service, which runs outside
Dagster, writes them to the Dagster instance as runless asset events
(``DagsterInstance.report_runless_asset_event``). Either way the UI shows, per load, a
materialisation of each ``gaming_raw`` table and the ``lines_reconcile`` check evaluation
(warehouse load), and a materialisation of ``serving/gaming`` (real-time store load).

Dagster is imported only when reporting is asked for: the loaders run without it.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from loaders.batched_load import LoadReport
from loaders.file_domain import Reconciled
from loaders.gaming.realtime import StoreLoad, store_path
from tributary.settings import TributarySettings

DATASET = "gaming_raw"
RAW_TABLES = ["events", "quarantine", "files", "file_loads"]
CHECK_NAME = "lines_reconcile"
log = logging.getLogger("loaders.gaming.report")


def warehouse_events(load: LoadReport, check: Reconciled | None) -> list:
    """Materialisations of the four raw tables and the reconciliation check's evaluation."""
    import dagster as dg

    batch_meta: dict[str, Any] = {
        "batch_ids": ", ".join(load.batch_ids),
        "files": load.files,
        "rewritten": load.rewritten,
    }
    rows = {
        "events": load.valid,
        "quarantine": load.quarantined,
        "files": load.files,
        "file_loads": load.files,
    }
    events: list = [
        dg.AssetMaterialization(
            asset_key=[DATASET, table],
            metadata={**batch_meta, "rows_loaded": rows[table], "seconds": load.seconds},
        )
        for table in RAW_TABLES
    ]
    if check is not None:
        events.append(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey([DATASET, "events"]),
                check_name=CHECK_NAME,
                passed=check.passed,
                metadata=dict(vars(check)),
            )
        )
    return events


def store_event(load: StoreLoad) -> Any:
    """A materialisation of ``serving/gaming``: what one real-time store load added."""
    import dagster as dg

    return dg.AssetMaterialization(
        asset_key=["serving", "gaming"],
        metadata={
            "path": str(store_path()),
            "batch_ids": ", ".join(load.batch_ids),
            "files": len(load.files),
            "lines_read": load.lines_read,
            "rows_loaded": load.valid,
            "quarantined": load.quarantined,
            "seconds": load.seconds,
        },
    )


class DagsterReporter(threading.Thread):
    """Writes asset events to the Dagster instance (``DAGSTER_HOME``) from a background thread,
    so a slow event store never delays a load. Without ``DAGSTER_HOME`` it only logs."""

    def __init__(self) -> None:
        super().__init__(name="dagster-reporter", daemon=True)
        self._queue: queue.Queue = queue.Queue()
        self.enabled = TributarySettings().dagster_home is not None
        self.reported = 0

    def send(self, events: list) -> None:
        if self.enabled and events:
            self._queue.put(events)

    def run(self) -> None:
        if not self.enabled:
            return
        import dagster as dg

        instance = dg.DagsterInstance.get()
        try:
            while (events := self._queue.get()) is not None:
                for event in events:
                    try:
                        instance.report_runless_asset_event(event)
                        self.reported += 1
                    except Exception:  # a report lost is logged, never fatal to loading
                        log.exception("could not report %s to Dagster", event)
        finally:
            instance.dispose()

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop."""
        if self.enabled and self.is_alive():
            self._queue.put(None)
            self.join(timeout)
