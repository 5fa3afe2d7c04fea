"""The gaming domain's contract (:data:`DOMAIN`): one incremental load of game events.

``plan_load`` (under the warehouse lock) compares the landing listing with
``gaming_raw.files`` and reads only new or rewritten files; ``write`` validates and commits
them batch by batch into the gaming lake and the warehouse (:mod:`loaders.gaming.warehouse_load`; the
dlt source, :mod:`loaders.gaming.source`, remains the declared schema of those tables) and,
when the load publishes, feeds the same parsed batches to the real-time store;
``publish_serving`` then brings that store (:mod:`loaders.gaming.realtime`, what the API
serves) up to the landing location. :func:`loaders.file_domain.load_once` runs the steps in
that order; the follow service (:mod:`loaders.gaming.follow`) runs the store load first and
the warehouse load beside it, so the API never waits for the warehouse lock.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from loaders import batched_load, incremental_files
from loaders.batched_load import LoadPlan
from loaders.common import warehouse_pipeline
from loaders.file_domain import FileDomain
from loaders.gaming import realtime, warehouse_load
from loaders.gaming.lake import GamingLake
from loaders.gaming.landing import Landing
from loaders.gaming.parsing import validate
from loaders.gaming.settings import GamingSettings
from loaders.gaming.source import gaming_events_source
from loaders.incremental_files import Reconciliation
from loaders.lake_storage import configure_s3
from tributary import warehouse

PIPELINE_NAME = "gaming_events"
DATASET = "gaming_raw"


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def loaded_manifest() -> dict[str, str]:
    """source_file → fingerprint of the content currently loaded."""
    return incremental_files.loaded_manifest(DATASET)


def plan_load(landing: Landing | None = None, max_files: int | None = None) -> LoadPlan:
    """List and diff against the manifest; files are read when the plan's source is extracted.
    Caller holds the lock until the load is done. First the lake files of batches whose
    transaction never committed (a crash) are deleted, and a compaction a crash interrupted is
    finished or undone."""
    with warehouse.connect(lock=False) as con:
        lake = GamingLake()
        lake.drop_uncommitted(incremental_files.committed_batches(con, DATASET))
        lake.recover(con)
    return batched_load.plan_load(
        landing or Landing(),
        DATASET,
        parse=batched_load.validating_parser(validate),
        make_source=gaming_events_source,
        max_files=max_files,
        files_per_batch=GamingSettings().files_per_batch,
    )


def write(plan: LoadPlan, serve: bool = False) -> None:
    """Write the plan's batches straight into ``gaming_raw`` (:mod:`warehouse_load`); with
    ``serve``, each committed batch also goes into the real-time store, from the same parse
    (files the store already holds at that fingerprint are skipped). Caller holds the lock."""
    if not serve:
        warehouse_load.write(plan)
        return
    with realtime.StoreWriter() as store:
        warehouse_load.write(plan, on_batch=store.apply_parsed)


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Load every pending file into the real-time store (its own lock, never the
    warehouse's: the connection is not used)."""
    return realtime.catch_up(warehouse)


def reconcile(con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None) -> Reconciliation:
    """Lines read = valid + quarantined for every load (or those of ``batch_ids``), and exactly
    those rows landed (see :func:`loaders.incremental_files.reconcile`; the events in the lake,
    through the ``gaming_raw.events`` view)."""
    if GamingLake().is_s3:
        configure_s3(con)
    return incremental_files.reconcile(con, DATASET, batch_ids)


DOMAIN = FileDomain(
    name="gaming",
    dataset=DATASET,
    pipeline=pipeline,
    source=gaming_events_source,
    landing=Landing,
    plan=plan_load,
    reconcile=reconcile,
    publish=publish_serving,
    write=write,
    served_marts=("gaming/revenue", "gaming/user_events"),
    served_metadata=realtime.row_counts,
    served_description="The real-time store the API serves (serving/gaming/realtime.sqlite): "
    "brought up to the landing location here; the follow service keeps it current.",
    serve_after_load=True,
    check_description="Every line read is a valid event or quarantined, and exactly those "
    "rows landed.",
    description="Read every new or rewritten file in ``GAMING_EVENTS_URL`` and load it: per "
    "batch one Parquet file in the gaming lake (``GAMING_LAKE_URL``, the events) and one "
    "DuckDB transaction (quarantine, manifest), the dlt source's tables.",
)
