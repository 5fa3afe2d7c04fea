"""One incremental load of the location minutes, usable from Dagster or on its own
(``python -m loaders.location``), and the reconciliation of the warehouse with the store."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from loaders.common import table_exists, warehouse_pipeline
from tributary.location.store import open_store

PIPELINE_NAME = "location_minutes"
DATASET = "location_raw"


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


@dataclass
class MinutesReconciliation:
    """The warehouse against the store, and the store against its own counters."""

    passed: bool
    accepted: int  # points the store accepted (its counter)
    duplicates: int  # requests answered 200 as duplicates
    points_in_store: int  # sum of points over the store's minutes
    minutes_in_store: int
    minutes_in_warehouse: int
    loaded_seq: int  # highest seq in the warehouse
    missing: int  # store minutes changed at or before loaded_seq, absent or older in the warehouse
    mismatched: int  # same seq, different points
    unknown: int  # warehouse minutes the store does not have, or newer than the store's
    pending: int  # store minutes changed after loaded_seq (the next load takes them)


def reconcile(con: duckdb.DuckDBPyConnection) -> MinutesReconciliation:
    """Every accepted point is in exactly one store minute; every store minute committed up
    to the highest loaded seq is in the warehouse with the same seq and points."""
    store = open_store()
    try:
        state = store.state()
        versions = store.versions()
    finally:
        store.close()
    store_table = pa.table(
        {
            "user_id": pa.array([v[0] for v in versions], pa.string()),
            "minute_utc": pa.array([v[1] for v in versions], pa.timestamp("us")),
            "seq": pa.array([v[2] for v in versions], pa.int64()),
            "points": pa.array([v[3] for v in versions], pa.int64()),
        }
    )
    con.register("store_minutes", store_table)
    if table_exists(con, DATASET, "minutes"):
        warehouse = f"SELECT user_id, minute_utc, seq, points FROM {DATASET}.minutes"
    else:
        warehouse = "SELECT * FROM store_minutes WHERE false"
    row = con.execute(
        f"""
        WITH wh AS ({warehouse}),
        loaded AS (SELECT coalesce(max(seq), 0) AS seq FROM wh)
        SELECT
            (SELECT count(*) FROM wh),
            (SELECT seq FROM loaded),
            (SELECT count(*) FROM store_minutes AS s LEFT JOIN wh USING (user_id, minute_utc)
             WHERE s.seq > 0 AND s.seq <= (SELECT seq FROM loaded)
               AND (wh.seq IS NULL OR wh.seq < s.seq)),
            (SELECT count(*) FROM store_minutes AS s JOIN wh USING (user_id, minute_utc)
             WHERE s.seq = wh.seq AND s.points <> wh.points),
            (SELECT count(*) FROM wh LEFT JOIN store_minutes AS s USING (user_id, minute_utc)
             WHERE s.seq IS NULL OR s.seq < wh.seq),
            (SELECT count(*) FROM store_minutes WHERE seq > (SELECT seq FROM loaded)),
            (SELECT coalesce(sum(points), 0) FROM store_minutes)
        """
    ).fetchone()
    con.unregister("store_minutes")
    in_wh, loaded_seq, missing, mismatched, unknown, pending, points = (int(x) for x in row)
    return MinutesReconciliation(
        passed=missing == 0 and mismatched == 0 and unknown == 0 and points == state["accepted"],
        accepted=state["accepted"],
        duplicates=state["duplicates"],
        points_in_store=points,
        minutes_in_store=len(versions),
        minutes_in_warehouse=in_wh,
        loaded_seq=loaded_seq,
        missing=missing,
        mismatched=mismatched,
        unknown=unknown,
        pending=pending,
    )
