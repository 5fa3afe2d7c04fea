"""The shop database → warehouse: dlt's ``sql_database`` tables, incremental on ``updated_at``.

``orders`` and ``order_items`` are extracted with the pyarrow backend (Arrow pages, no per-row
normalisation) from ``COMMERCE_DB_URL`` into ``commerce_shop`` of the warehouse, merged on
their keys. The cursor ``updated_at`` is the change-tracking column the shop loader moves
whenever a row changes (:mod:`loaders.commerce.shop_db`), so a re-run pulls only new or
changed rows, including a status change of an order loaded long ago. dlt keeps the cursor in
the pipeline state (inside the warehouse and ``$TRIBUTARY_DATA_DIR/dlt``).

After each extraction :func:`publish_to_lake` writes the merged tables' current state to the
commerce lake (``shop/<table>/<table>.parquet``, each replaced in one step), which dbt reads on
both engines; the warehouse tables stay the merge target and what the checks compare with the
shop database.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
import duckdb
from dlt.sources.sql_database import sql_table

from loaders.commerce.lake import CommerceLake
from loaders.commerce.settings import db_url
from loaders.common import table_exists, warehouse_pipeline
from tributary import warehouse

PIPELINE_NAME = "commerce_shop"
DATASET = "commerce_shop"
KEYS = {"orders": ["id"], "order_items": ["order_id", "item_number"]}


@dlt.source(name="commerce_shop", max_table_nesting=0)
def shop_source(url: str | None = None) -> Iterator:
    """``orders`` and ``order_items`` of the shop database (reflected when extracted)."""
    for table, key in KEYS.items():
        yield sql_table(
            credentials=url or db_url(),
            table=table,
            backend="pyarrow",
            defer_table_reflect=True,
            # Open range: rows sharing the last cursor value were all extracted in the same run (one
            # shop load writes one updated_at in one transaction), so no dedup state is kept.
            incremental=dlt.sources.incremental("updated_at", range_start="open"),
            write_disposition="merge",
            primary_key=key,
            reflection_level="full_with_precision",
        )


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


# The lake's columns of each shop table, in order, with their types (timestamps as UTC or
# shop-local wall clock, without zone: both engines read them as plain timestamps).
LAKE_COLUMNS = {
    "orders": [
        ("id", "BIGINT"),
        ("order_date", "TIMESTAMP"),
        ("status", "VARCHAR"),
        ("device", "VARCHAR"),
        ("order_total", "DECIMAL(14, 2)"),
        ("updated_at", "TIMESTAMP"),
    ],
    "order_items": [
        ("order_id", "BIGINT"),
        ("item_number", "BIGINT"),
        ("code_color", "VARCHAR"),
        ("price", "DECIMAL(14, 2)"),
        ("updated_at", "TIMESTAMP"),
    ],
}


def _lake_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    if not table_exists(con, DATASET, table):  # an empty shop extracts no table
        nulls = ", ".join(f"NULL::{t} AS {c}" for c, t in LAKE_COLUMNS[table])
        return f"SELECT {nulls} WHERE false"
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [DATASET, table],
        ).fetchall()
    )
    columns = [
        f"timezone('UTC', {c}) AS {c}"
        if types[c] == "TIMESTAMP WITH TIME ZONE"
        else f"{c}::{t} AS {c}"
        for c, t in LAKE_COLUMNS[table]
    ]
    keys = ", ".join(KEYS[table])
    return f"SELECT {', '.join(columns)} FROM {DATASET}.{table} ORDER BY {keys}"


def publish_to_lake(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Write the current shop tables of the warehouse to the lake; rows per table. The caller
    holds the warehouse lock (the tables must not change mid-copy)."""
    lake = CommerceLake()
    written: dict[str, int] = {}
    with lake.scratch("shop") as scratch:
        for table in LAKE_COLUMNS:
            local = scratch / f"{table}.parquet"
            con.execute(f"COPY ({_lake_select(con, table)}) TO '{local}' (FORMAT parquet)")
            written[table] = con.execute(f"SELECT count(*) FROM '{local}'").fetchone()[0]
            lake.publish(local, f"shop/{table}/{table}.parquet")
    return written


def load_shop(url: str | None = None) -> dict[str, int]:
    """Extract the shop database into the warehouse and write its tables to the lake, under the
    warehouse lock (what the ``commerce_shop`` asset does, without Dagster); rows per table."""
    with warehouse.locked():
        pipeline().run(shop_source(url))
        with warehouse.connect(lock=False) as con:
            return publish_to_lake(con)
