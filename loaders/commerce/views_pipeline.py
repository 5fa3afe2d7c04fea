"""Incremental load of product-view files into the commerce lake, with its manifest in the
warehouse.

Same pattern as the gaming loader (``loaders/incremental_files.py``): list
``COMMERCE_VIEWS_URL``, diff against the manifest ``commerce_views.files`` by fingerprint,
read only new or rewritten files, a bounded number of bytes per batch. Each parsed batch is
published to the lake (:mod:`loaders.commerce.lake`: product views by UTC day, quarantine,
then the batch's load record, its commit), and dlt loads the manifest into the warehouse:

- ``files``: one row per file (merge on ``source_file``) naming the batch holding its current
  content, so a rewritten file replaces its rows downstream;
- ``file_loads``: every read of every file with its counts (append): what
  :func:`reconcile` verifies against the lake (records read = views + ignored + quarantined,
  and exactly those rows landed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import dlt
import duckdb

from loaders import batched_load, incremental_files
from loaders.batched_load import BatchSchemas, LoadPlan, ParsedBatch, batch_resources
from loaders.commerce.lake import CommerceLake
from loaders.commerce.publish import SERVED_MARTS, publish_serving
from loaders.commerce.settings import CommerceSettings
from loaders.commerce.views_parsing import QUARANTINE_SCHEMA, VIEWS_SCHEMA, parse_files
from loaders.common import warehouse_pipeline
from loaders.file_domain import FileDomain
from loaders.incremental_files import (
    LandedFile,
    Landing,
    LoadCounts,
    Reconciliation,
    new_batch_id,
    with_batch,
)

PIPELINE_NAME = "commerce_views"
DATASET = "commerce_views"

FILES_SCHEMA = incremental_files.files_schema(
    ["records_read", "product_views", "ignored_events", "quarantined"]
)
SCHEMAS = BatchSchemas(events=VIEWS_SCHEMA, quarantine=QUARANTINE_SCHEMA, files=FILES_SCHEMA)


def landing(url: str | None = None) -> Landing:
    return Landing(url or CommerceSettings().views_url)


def parse_batch(land: Landing, files: list[LandedFile], contents: dict[str, bytes]) -> ParsedBatch:
    """Parse ``contents`` into one batch (its rows table, ``events``, holds the product views)
    and publish it to the lake."""
    batch_id = new_batch_id()
    parsed = parse_files(land, files, contents)
    counts = {r.pop("source_file"): r for r in parsed.counts.to_pylist()}
    batch = ParsedBatch(
        batch_id=batch_id,
        events=with_batch(parsed.views, batch_id),
        quarantine=with_batch(parsed.quarantine, batch_id),
        files=incremental_files.manifest_rows(
            files, contents, batch_id, counts.__getitem__, FILES_SCHEMA
        ),
        file_paths=[f.path for f in files],
    )
    CommerceLake().write_batch(batch_id, batch.events, batch.quarantine, batch.files)
    return batch


# The rows live in the lake: dlt carries only the manifest into the warehouse.
LAKE_ROWS = ("views", "quarantine")


@dlt.source(name="commerce_views", max_table_nesting=0)
def views_source(batches: Iterable[ParsedBatch] | None = None) -> Iterator:
    """``files`` and ``file_loads`` over a stream of parsed batches (none: typed empty
    tables); the batches' rows are in the lake already."""
    resources = batch_resources(batches, SCHEMAS, rows_table="views")
    return [r for r in resources if r.name not in LAKE_ROWS]


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def plan_load(land: Landing | None = None, max_files: int | None = None) -> LoadPlan:
    """List and diff against the manifest (caller holds the warehouse lock until loaded);
    files are read in batches of ``COMMERCE_VIEWS_BATCH_BYTES``, whatever their number."""
    return batched_load.plan_load(
        land or landing(),
        DATASET,
        parse=parse_batch,
        make_source=views_source,
        max_files=max_files,
        files_per_batch=sys.maxsize,
        bytes_per_batch=CommerceSettings().views_batch_bytes,
        read_column="records_read",
    )


# Per load (batch, file): records read = views + ignored + quarantined, and exactly the views
# and quarantined rows counted are in ``views`` / ``quarantine``.
COUNTS = LoadCounts(
    rows_table="views",
    read="records_read",
    valid="product_views",
    quarantined="quarantined",
    ignored="ignored_events",
)


LANDED_COLUMNS = "batch_id VARCHAR, source_file VARCHAR"


def reconcile(con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None) -> Reconciliation:
    """Over every load, or those of ``batch_ids``: the warehouse manifest against the lake."""
    lake = CommerceLake()
    landed = (
        lake.relation(con, "views", LANDED_COLUMNS, batch_ids),
        lake.relation(con, "quarantine", LANDED_COLUMNS, batch_ids),
    )
    return incremental_files.reconcile(con, DATASET, batch_ids, COUNTS, landed)


# The view files of the commerce domain (its shop database is a plain dlt SQL source).
DOMAIN = FileDomain(
    name="commerce",
    dataset=DATASET,
    pipeline=pipeline,
    source=views_source,
    landing=landing,
    plan=plan_load,
    reconcile=reconcile,
    publish=publish_serving,
    rows_table="file_loads",  # the rows are in the lake; the check sits on the manifest
    served_marts=SERVED_MARTS,
    check_name="events_reconcile",
    check_description="Per file read: records = product views + ignored + quarantined, and "
    "exactly the views and quarantined rows counted landed.",
    description="Every new or rewritten view file of ``COMMERCE_VIEWS_URL``.",
)
