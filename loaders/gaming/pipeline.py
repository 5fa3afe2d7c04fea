"""One incremental load of game events, usable from Dagster or on its own.

``plan_load`` (under the warehouse lock) compares the landing listing with
``gaming_raw.files`` and reads only new or rewritten files; the caller hands the batch to dlt
and then calls ``publish_serving`` so the API sees the new rows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from loaders import incremental_files
from loaders.common import warehouse_pipeline
from loaders.gaming.landing import LandedFile, Landing
from loaders.gaming.source import ParsedBatch, gaming_events_source, parse_batch
from loaders.incremental_files import Reconciliation
from tributary import serving

PIPELINE_NAME = "gaming_events"
DATASET = "gaming_raw"

# What the API serves: the marts plus the per-user event list in page order.
SERVED_TABLES = [
    serving.ServedTable("gaming", "revenue", "SELECT * FROM gaming.revenue", order_by='"user"'),
    serving.ServedTable(
        "gaming",
        "user_events",
        "SELECT * FROM gaming.user_events",
        order_by='"user", "timestamp", source_file, line_number',
    ),
]


def files_per_batch() -> int:
    """Files read and validated together (bounds memory: about 17x the batch's bytes)."""
    return int(os.environ.get("GAMING_FILES_PER_BATCH", "200"))


@dataclass
class LoadPlan:
    """What one load will read; ``batches()`` reads and validates lazily, counting as it goes."""

    landing: Landing
    pending: list[LandedFile]
    known_files: int
    rewritten: list[str]
    listed: int
    batch_size: int = field(default_factory=files_per_batch)
    batch_ids: list[str] = field(default_factory=list)
    lines_read: int = 0
    valid: int = 0
    quarantined: int = 0

    @property
    def empty(self) -> bool:
        return not self.pending

    def batches(self) -> Iterator[ParsedBatch]:
        for start in range(0, len(self.pending), self.batch_size):
            chunk = self.pending[start : start + self.batch_size]
            batch = parse_batch(chunk, self.landing.read(chunk))
            self.batch_ids.append(batch.batch_id)
            self.lines_read += batch.lines_read
            self.valid += batch.events.num_rows
            self.quarantined += batch.quarantine.num_rows
            yield batch

    def source(self):
        """The dlt source that streams this plan's batches."""
        return gaming_events_source(self.batches())


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def loaded_manifest() -> dict[str, str]:
    """source_file → fingerprint of the content currently loaded."""
    return incremental_files.loaded_manifest(DATASET)


def plan_load(landing: Landing, max_files: int | None = None) -> LoadPlan:
    """List and diff against the manifest; files are read when the plan's source is extracted.
    Caller holds the lock until the load is done."""
    listed = landing.list()
    manifest = loaded_manifest()
    pending = [f for f in listed if manifest.get(f.path) != f.fingerprint]
    if max_files is not None:
        pending = pending[:max_files]
    rewritten = [f.path for f in pending if f.path in manifest]
    return LoadPlan(landing, pending, len(manifest), rewritten, len(listed))


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the gaming marts into a fresh serving snapshot. Caller holds the lock."""
    return serving.publish_if_built("gaming", SERVED_TABLES, warehouse)


@dataclass
class LoadReport:
    batch_ids: list[str]
    files: int
    rewritten: int
    lines_read: int
    valid: int
    quarantined: int
    seconds: float


def report(plan: LoadPlan, started: float) -> LoadReport:
    return LoadReport(
        batch_ids=list(plan.batch_ids),
        files=len(plan.pending),
        rewritten=len(plan.rewritten),
        lines_read=plan.lines_read,
        valid=plan.valid,
        quarantined=plan.quarantined,
        seconds=round(time.perf_counter() - started, 3),
    )


def reconcile(con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None) -> Reconciliation:
    """Lines read = valid + quarantined for every load (or those of ``batch_ids``), and exactly
    those rows landed (see :func:`loaders.incremental_files.reconcile`)."""
    return incremental_files.reconcile(con, DATASET, batch_ids)
