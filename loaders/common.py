"""What every loader shares: a dlt pipeline into the warehouse, kept inside the data dir."""

from __future__ import annotations

import os

import dlt
from dlt.pipeline.pipeline import Pipeline

from tributary import settings

# dlt would otherwise try to send anonymous telemetry over the network on every run.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def warehouse_pipeline(pipeline_name: str, dataset_name: str) -> Pipeline:
    """A dlt pipeline that loads into ``dataset_name`` of the DuckDB warehouse.

    Its working folder lives under ``$TRIBUTARY_DATA_DIR/dlt`` so pending load packages (from
    a crash) are picked up by the next run of the same data dir and by no other.
    """
    destination = dlt.destinations.duckdb(
        credentials=str(settings.warehouse_path()),
    )
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=str(settings.data_dir() / "dlt"),
        progress=None,
    )


def table_exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )
