"""The shop database → warehouse: dlt's ``sql_database`` tables, incremental on ``updated_at``.

``orders`` and ``order_items`` are extracted with the pyarrow backend (Arrow pages, no per-row
normalisation) from ``COMMERCE_DB_URL`` into ``commerce_shop`` of the warehouse, merged on
their keys. The cursor ``updated_at`` is the change-tracking column the shop loader moves
whenever a row changes (:mod:`loaders.commerce.shop_db`), so a re-run pulls only new or
changed rows, including a status change of an order loaded long ago. dlt keeps the cursor in
the pipeline state (inside the warehouse and ``$TRIBUTARY_DATA_DIR/dlt``).
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
from dlt.sources.sql_database import sql_table

from loaders.commerce.settings import db_url
from loaders.common import warehouse_pipeline

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
