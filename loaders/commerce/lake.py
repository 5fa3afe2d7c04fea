"""The commerce lake: product views, their quarantine and load records, and the shop tables as
Parquet under ``COMMERCE_LAKE_URL``, read in place by dbt on DuckDB (``read_parquet``) and on
Spark (external tables).

Layout (a folder or ``s3://bucket/prefix``)::

    views/date=YYYY-MM-DD/part-<batch>.parquet   product views of a batch, by UTC day of the view
    quarantine/part-<batch>.parquet              its quarantined files, lines, batches, views
    loads/part-<batch>.parquet                   its manifest rows: the batch's commit record
    shop/<table>/<table>.parquet                 current state of a shop table (orders, items)
    _staging/<name>/                             scratch of a batch being written (local lakes)

A batch publishes its views and quarantine files first and its load record last (each file in
one step: rename, or one S3 PUT). dbt counts a file's rows only from the batch its newest load
record names (``stg_commerce__view_files``), so rows of a batch that crashed before its record
are never read, and a file read again (rewritten, or after a crash) replaces its rows: exactly
once. The warehouse keeps the loader's manifest (``commerce_views.files`` / ``file_loads``,
what is pending and what the reconciliation compares with the lake).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from loaders.commerce.settings import CommerceSettings
from loaders.lake_storage import LakeStorage, naive_utc


class CommerceLake(LakeStorage):
    """``COMMERCE_LAKE_URL`` (or ``url``)."""

    batch_tables = {
        "views": "views/*/part-{batch}.parquet",
        "quarantine": "quarantine/part-{batch}.parquet",
        "loads": "loads/part-{batch}.parquet",
    }

    table_folders = ("views", "quarantine", "loads", "shop/orders", "shop/order_items")

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or CommerceSettings().lake_url)

    def write_batch(
        self, batch_id: str, views: pa.Table, quarantine: pa.Table, loads: pa.Table
    ) -> None:
        """Publish one batch: its views by UTC day, its quarantine, then its load record
        (``loaded_at`` as UTC wall clock: both engines read it as a plain timestamp)."""
        with self.scratch(batch_id) as scratch:
            pending: list[tuple[str, pa.Table]] = []
            if views.num_rows:
                millis = pc.cast(pc.floor(views["event_ms"]), pa.int64())
                days = pc.strftime(pc.cast(millis, pa.timestamp("ms")), "%Y-%m-%d")
                for day in sorted(pc.unique(days).to_pylist()):
                    rows = views.filter(pc.equal(days, day))
                    pending.append((f"views/date={day}/part-{batch_id}.parquet", rows))
            if quarantine.num_rows:
                pending.append((f"quarantine/part-{batch_id}.parquet", quarantine))
            # last: the commit
            pending.append((f"loads/part-{batch_id}.parquet", naive_utc(loads, "loaded_at")))
            self.publish_tables(scratch, pending)
