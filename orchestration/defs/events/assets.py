"""The events lake as Dagster assets.

- ``events_lake/events`` and ``events_lake/quarantine`` (one multi-asset, not partitioned):
  lands every pending input file (the "land pending" step ``make materialize`` and the file
  sensor run), compacts what it touched, and reports the blocking check ``batches_reconcile``
  (read = landed + duplicates + quarantined, and the lake really holds those rows) for the
  batches it committed;
- ``events_lake/hours`` (hourly partitions): a backfill of one UTC hour — every input file is
  re-read and whatever event of that hour is missing from the lake is landed (exactly once:
  what is there counts as duplicates), then the hour's partitions are compacted. Any hour can
  be (re)materialised from the UI, alone or as a range;
- ``events_lake/by_user``: the user-ordered second layout (``loaders/events/by_user.py``),
  brought up to date with every committed batch after each landing (and compacted);
- the dbt models of the ``events`` tag (``orchestration/defs/dbt.py``), which read the lake
  as external sources.
"""

import dagster as dg

from loaders.events import by_user, files
from loaders.events.lake import Lake
from loaders.events.reconcile import reconcile
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS
from tributary.warehouse import pin_data_dir

GROUP = "events"
LAKE_EVENTS = dg.AssetKey(["events_lake", "events"])
LAKE_QUARANTINE = dg.AssetKey(["events_lake", "quarantine"])
LAKE_HOURS = dg.AssetKey(["events_lake", "hours"])
LAKE_BY_USER = dg.AssetKey(["events_lake", "by_user"])
HOURLY = dg.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", timezone="UTC")
RECONCILE_CHECK = "batches_reconcile"


def check_batches(batch_ids: list[str], asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    lake = Lake()
    con = lake.connect()
    try:
        result = reconcile(lake, con, batch_ids)
    finally:
        con.close()
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=RECONCILE_CHECK,
        passed=result.passed,
        metadata=result.metadata(),
    )


@dg.multi_asset(
    name="events_lake_land",
    group_name=GROUP,
    specs=[
        dg.AssetSpec(
            LAKE_EVENTS,
            kinds={"parquet"},
            description="Events landed exactly once in the Parquet lake "
            "(EVENTS_LAKE_URL/events/event_type=/date=/hour=).",
        ),
        dg.AssetSpec(
            LAKE_QUARANTINE,
            kinds={"parquet"},
            description="Invalid lines with raw text and reason (EVENTS_LAKE_URL/quarantine).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            RECONCILE_CHECK,
            asset=LAKE_EVENTS,
            blocking=True,
            description="Per batch: read = landed + duplicates + quarantined, and the lake "
            "holds exactly the landed and quarantined rows.",
        )
    ],
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def events_lake_land(context: dg.AssetExecutionContext):
    """Land every pending file of ``EVENTS_URL`` into the lake, then compact."""
    pin_data_dir()
    load = files.land_files()
    read = sum(b.read for b in load.batches)
    context.log.info(
        "%d files listed, %d pending, %d batches, %d lines read",
        load.listed,
        load.pending,
        len(load.batches),
        read,
    )
    meta = {
        "files_listed": load.listed,
        "files_landed": load.pending,
        "batches": len(load.batches),
        "read": read,
        "landed": sum(b.landed for b in load.batches),
        "duplicates": sum(b.duplicates for b in load.batches),
        "quarantined": sum(b.quarantined for b in load.batches),
    }
    yield dg.MaterializeResult(asset_key=LAKE_EVENTS, metadata=meta)
    yield dg.MaterializeResult(
        asset_key=LAKE_QUARANTINE, metadata={"quarantined": meta["quarantined"]}
    )
    yield check_batches(load.batch_ids, LAKE_EVENTS)


@dg.asset(
    key=LAKE_HOURS,
    group_name=GROUP,
    partitions_def=HOURLY,
    kinds={"parquet"},
    check_specs=[dg.AssetCheckSpec(RECONCILE_CHECK, asset=LAKE_HOURS, blocking=True)],
    op_tags=WAREHOUSE_WRITER_TAGS,
    description="One UTC hour of the lake, backfilled from every input file (idempotent).",
)
def events_lake_hours(context: dg.AssetExecutionContext):
    pin_data_dir()
    window = context.partition_time_window
    results = files.land_hour(window.start)
    yield dg.MaterializeResult(
        metadata={
            "hour": window.start.strftime("%Y-%m-%dT%H"),
            "read": sum(b.read for b in results),
            "landed": sum(b.landed for b in results),
            "duplicates": sum(b.duplicates for b in results),
            "other_hours_or_invalid": sum(b.out_of_scope for b in results),
            "partitions": sum(len(b.partitions) for b in results),
        }
    )
    yield check_batches([b.batch_id for b in results], LAKE_HOURS)


@dg.asset(
    key=LAKE_BY_USER,
    group_name=GROUP,
    deps=[LAKE_EVENTS],
    kinds={"parquet"},
    op_tags=WAREHOUSE_WRITER_TAGS,
    description="The lake's events by user (EVENTS_LAKE_URL/by_user/bucket=/…, sorted by user "
    "and time): every committed batch applied once, buckets compacted; what "
    "GET /events/users/{user_id}/events reads.",
)
def events_lake_by_user(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Apply the lake's batches not yet in the user layout (after a landing or a backfill)."""
    pin_data_dir()
    done = by_user.maintain()
    context.log.info("user layout: %s", done)
    return dg.MaterializeResult(metadata=dict(vars(done)))
