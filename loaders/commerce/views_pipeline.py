"""Incremental load of product-view files into ``commerce_views`` of the warehouse.

Same pattern as the gaming loader (``loaders/incremental_files.py``): list
``COMMERCE_VIEWS_URL``, diff against the manifest ``commerce_views.files`` by fingerprint,
read only new or rewritten files, a bounded number of bytes per batch, and stream the parsed
batches through dlt as Arrow tables. Four tables land:

- ``views``: product views (platform, product, event time in epoch ms), appended with the
  batch id that read them;
- ``quarantine``: unreadable files/lines/batches and invalid product views, raw text + reason;
- ``files``: one row per file (merge on ``source_file``) naming the batch holding its current
  content, so a rewritten file replaces its rows downstream;
- ``file_loads``: every read of every file with its counts (append): what
  :func:`reconcile` verifies (records read = views + ignored + quarantined, and landed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import dlt
import duckdb

from loaders import incremental_files
from loaders.batched_load import BatchSchemas, ParsedBatch, batch_resources, group_files
from loaders.commerce.settings import views_url
from loaders.commerce.views_parsing import QUARANTINE_SCHEMA, VIEWS_SCHEMA, parse_files
from loaders.common import table_exists, warehouse_pipeline
from loaders.incremental_files import LandedFile, Landing, new_batch_id, with_batch

PIPELINE_NAME = "commerce_views"
DATASET = "commerce_views"

FILES_SCHEMA = incremental_files.files_schema(
    ["records_read", "product_views", "ignored_events", "quarantined"]
)
SCHEMAS = BatchSchemas(events=VIEWS_SCHEMA, quarantine=QUARANTINE_SCHEMA, files=FILES_SCHEMA)


def bytes_per_batch() -> int:
    """Bytes of files read and parsed together (bounds memory)."""
    return int(os.environ.get("COMMERCE_VIEWS_BATCH_BYTES", str(256 * 1024 * 1024)))


def landing(url: str | None = None) -> Landing:
    return Landing(url or views_url())


def parse_batch(land: Landing, files: list[LandedFile], contents: dict[str, bytes]) -> ParsedBatch:
    """Parse ``contents`` into one batch; its rows table (``events``) holds the product views."""
    batch_id = new_batch_id()
    parsed = parse_files(land, files, contents)
    counts = {r.pop("source_file"): r for r in parsed.counts.to_pylist()}
    return ParsedBatch(
        batch_id=batch_id,
        events=with_batch(parsed.views, batch_id),
        quarantine=with_batch(parsed.quarantine, batch_id),
        files=incremental_files.manifest_rows(
            files, contents, batch_id, counts.__getitem__, FILES_SCHEMA
        ),
        file_paths=[f.path for f in files],
    )


@dlt.source(name="commerce_views", max_table_nesting=0)
def views_source(batches: Iterable[ParsedBatch] | None = None) -> Iterator:
    """``views``, ``quarantine``, ``files``, ``file_loads`` over a stream of parsed batches
    (none: typed empty tables)."""
    return batch_resources(batches, SCHEMAS, rows_table="views")


@dataclass
class LoadPlan:
    """Pending files; ``batches()`` reads and parses lazily, counting as it goes."""

    landing: Landing
    pending: list[LandedFile]
    listed: int
    rewritten: list[str]
    batch_ids: list[str] = field(default_factory=list)
    records_read: int = 0
    product_views: int = 0
    quarantined: int = 0

    @property
    def empty(self) -> bool:
        return not self.pending

    def batches(self) -> Iterator[ParsedBatch]:
        for chunk in group_files(self.pending, len(self.pending), bytes_per_batch()):
            batch = parse_batch(self.landing, chunk, self.landing.read(chunk))
            self.batch_ids.append(batch.batch_id)
            self.records_read += sum(batch.files["records_read"].to_pylist())
            self.product_views += batch.events.num_rows
            self.quarantined += batch.quarantine.num_rows
            yield batch

    def source(self):
        return views_source(self.batches())


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def plan_load(land: Landing | None = None, max_files: int | None = None) -> LoadPlan:
    """List and diff against the manifest (caller holds the warehouse lock until loaded)."""
    land = land or landing()
    listed = land.list()
    manifest = incremental_files.loaded_manifest(DATASET)
    pending = [f for f in listed if manifest.get(f.path) != f.fingerprint]
    if max_files is not None:
        pending = pending[:max_files]
    rewritten = [f.path for f in pending if f.path in manifest]
    return LoadPlan(land, pending, len(listed), rewritten)


def pending_files(land: Landing, manifest: dict[str, str]) -> list[LandedFile]:
    return [f for f in land.list() if manifest.get(f.path) != f.fingerprint]


@dataclass
class ViewsReconciliation:
    """Per load (batch, file): records read = views + ignored + quarantined, and exactly the
    views and quarantined rows counted are in ``views`` / ``quarantine``."""

    loads: int
    records_read: int
    product_views: int
    ignored_events: int
    quarantined: int
    views_landed: int
    quarantine_landed: int
    mismatched_loads: int

    @property
    def passed(self) -> bool:
        return (
            self.mismatched_loads == 0
            and self.records_read == self.product_views + self.ignored_events + self.quarantined
            and self.product_views == self.views_landed
            and self.quarantined == self.quarantine_landed
        )


def reconcile(con: duckdb.DuckDBPyConnection) -> ViewsReconciliation:
    if not table_exists(con, DATASET, "file_loads"):
        return ViewsReconciliation(0, 0, 0, 0, 0, 0, 0, 0)
    row = con.execute(
        f"""
        WITH ev AS (
            SELECT batch_id, source_file, count(*) AS n FROM {DATASET}.views GROUP BY ALL
        ),
        q AS (
            SELECT batch_id, source_file, count(*) AS n FROM {DATASET}.quarantine GROUP BY ALL
        ),
        joined AS (
            SELECT l.*, coalesce(ev.n, 0) AS ev_n, coalesce(q.n, 0) AS q_n
            FROM {DATASET}.file_loads AS l
            LEFT JOIN ev USING (batch_id, source_file)
            LEFT JOIN q USING (batch_id, source_file)
        )
        SELECT count(*), coalesce(sum(records_read), 0), coalesce(sum(product_views), 0),
               coalesce(sum(ignored_events), 0), coalesce(sum(quarantined), 0),
               coalesce(sum(ev_n), 0), coalesce(sum(q_n), 0),
               count(*) FILTER (
                   WHERE records_read <> product_views + ignored_events + quarantined
                   OR product_views <> ev_n OR quarantined <> q_n)
        FROM joined
        """
    ).fetchone()
    return ViewsReconciliation(*(int(v) for v in row))


@dataclass
class LoadReport:
    batch_ids: list[str]
    files: int
    rewritten: int
    records_read: int
    product_views: int
    quarantined: int
    seconds: float


def report(plan: LoadPlan, started: float) -> LoadReport:
    return LoadReport(
        list(plan.batch_ids),
        len(plan.pending),
        len(plan.rewritten),
        plan.records_read,
        plan.product_views,
        plan.quarantined,
        round(time.perf_counter() - started, 3),
    )
