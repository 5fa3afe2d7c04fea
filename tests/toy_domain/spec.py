"""A toy file domain, as a newcomer would add one: order lines (``{"item": …, "qty": …}``)
landing as JSON-lines files. Everything domain-specific is the spec below, its two Arrow
schemas and its SQL (``validate.sql``, ``totals.sql``); the rest is the shared parts every
file domain uses."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pyarrow as pa

from loaders import batched_load, incremental_files
from loaders.common import warehouse_pipeline
from loaders.file_domain import FileDomain
from loaders.incremental_files import Landing
from tributary import duck, serving, settings

SQL = Path(__file__).parent
DATASET = "toy_raw"

ROWS = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("item", pa.string(), nullable=False),
        pa.field("qty", pa.int64(), nullable=False),
    ]
)
QUARANTINE = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)
SCHEMAS = batched_load.BatchSchemas(events=ROWS, quarantine=QUARANTINE)


def validate(lines: pa.Table) -> tuple[pa.Table, pa.Table]:
    con = duck.connect()
    try:
        con.register("lines_in", lines)
        con.execute(f"CREATE TEMP TABLE checked AS {(SQL / 'validate.sql').read_text()}")
        rows = con.execute(
            "SELECT source_file, line_number, item, qty FROM checked WHERE reason IS NULL"
        ).fetch_arrow_table()
        bad = con.execute(
            "SELECT source_file, line_number, raw, reason FROM checked WHERE reason IS NOT NULL"
        ).fetch_arrow_table()
        return rows.cast(ROWS), bad.cast(QUARANTINE)
    finally:
        con.close()


@dlt.source(name="toy", max_table_nesting=0)
def toy_source(batches=None):
    return batched_load.batch_resources(batches, SCHEMAS)


def landing(url: str | None) -> Landing:
    return Landing(url or str(settings.landing_dir("toy")))


def plan(land: Landing, max_files: int | None) -> batched_load.LoadPlan:
    return batched_load.plan_load(
        land,
        DATASET,
        parse=batched_load.validating_parser(validate),
        make_source=toy_source,
        max_files=max_files,
    )


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """What ``dbt build`` does for a real domain: the mart over the raw tables."""
    con.execute((SQL / "totals.sql").read_text())


SERVED = [serving.ServedTable("toy", "totals", "SELECT * FROM toy.totals", order_by="item")]

TOY = FileDomain(
    name="toy",
    dataset=DATASET,
    pipeline=lambda: warehouse_pipeline("toy_orders", DATASET),
    source=toy_source,
    landing=landing,
    plan=plan,
    reconcile=lambda con, batch_ids=None: incremental_files.reconcile(con, DATASET, batch_ids),
    publish=lambda con=None: serving.publish_if_built("toy", SERVED, con),
    served_marts=("toy/totals",),
    serve_after_load=True,
    check_description="Every line read is a valid order line or quarantined.",
    description="Read every new or rewritten toy order file and load it with dlt.",
)
