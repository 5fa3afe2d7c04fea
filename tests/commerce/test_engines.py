"""The commerce models on DuckDB and on Spark over the same lake: identical staging (views,
quarantine with its reasons, the files' counts), purchases and marts row for row, dbt tests
passing on both; then the serving snapshot published from each engine's marts is the same, and
the real API answers ``GET /ctr`` byte for byte the same over either snapshot."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from loaders.commerce import shop_source
from loaders.commerce.publish import publish_serving
from loaders.commerce.shop_db import load_exports
from loaders.commerce.views_pipeline import DOMAIN
from loaders.file_domain import load_once
from simulation.commerce.generator import write_sample
from tests.commerce.conftest import activate
from tests.commerce.edge import write_edge_cases
from tests.conftest import running_api
from tests.spark_engine import Engines, drop_schemas, publish_with, snapshot_tables

# A JVM start and two dbt builds: minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

RELATIONS = {
    "commerce.ctr_minute": ["minute_at", "platform", "product", "views", "purchases"],
    "commerce.ctr_series": ["platform", "product", "series_id", "entry_middle"],
    **{
        f"commerce.ctr_series_{g}": ["series_id", "minute_idx", "views", "purchases"]
        for g in ("minute", "hour", "day")
    },
    "commerce.view_quarantine": [
        "source_file",
        "platform",
        "batch_number",
        "event_index",
        "reason",
        "raw",
    ],
    "staging.stg_commerce__views": [
        "source_file",
        "batch_number",
        "event_index",
        "platform",
        "product",
        "event_ms",
        "viewed_at",
    ],
    "staging.stg_commerce__view_files": [
        "source_file",
        "batch_id",
        "records_read",
        "product_views",
        "ignored_events",
        "quarantined",
    ],
    "intermediate.int_commerce__purchases": [
        "order_id",
        "item_number",
        "product",
        "status",
        "device",
        "platform",
        "ordered_at",
        "purchase_minute",
    ],
}
REQUESTS = [
    {
        "startTimestamp": "2016-01-04 00:00:00",
        "endTimestamp": "2016-01-06 00:00:00",
        "aggregation": "30",
    },
    {
        "startTimestamp": "2016-01-04 06:00:00",
        "endTimestamp": "2016-01-05 06:00:00",
        "aggregation": "60",
        "platform": "Android",
    },
    {
        "startTimestamp": "2016-01-04 10:07:00",
        "endTimestamp": "2016-01-05 10:07:00",
        "aggregation": "7",
        "platform": "iOS",
    },
    {
        "startTimestamp": "2016-01-03 00:00:00",
        "endTimestamp": "2016-01-07 00:00:00",
        "aggregation": "1440",
    },
    {
        "startTimestamp": "2015-06-01 10:00:00",
        "endTimestamp": "2015-06-01 13:00:00",
        "aggregation": "60",
        "platform": "MobileWeb",
    },
]


def _answers(data_dir: Path) -> list[bytes]:
    with running_api(data_dir) as base:
        return [httpx.get(f"{base}/ctr", params=p, timeout=30).content for p in REQUESTS]


def test_commerce_on_both_engines_gives_the_same_marts_snapshot_and_api(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    drop_schemas(engines.spark, "commerce", "staging", "intermediate", "commerce_lake")
    inputs = tmp_path / "inputs"
    activate(monkeypatch, engines.duck_dir, inputs, None)
    monkeypatch.setenv("COMMERCE_LAKE_URL", str(tmp_path / "lake"))
    write_sample(inputs, products=30, views=600, days=2, start="2016-01-04", seed=7)
    edge = write_edge_cases(inputs)
    load_exports(inputs / "shop" / "orders.csv", inputs / "shop" / "order_items.csv")
    load_exports(edge["orders_csv"], edge["items_csv"])
    assert shop_source.load_shop()["orders"] > 0
    loaded = load_once(DOMAIN)
    assert loaded.reconciliation.passed and loaded.reconciliation.quarantined > 0

    for engine in ("duckdb", "spark"):
        engines.dbt(engine, "build", "--select", "tag:commerce")
    counts = {rel: engines.assert_identical(rel, cols) for rel, cols in RELATIONS.items()}
    assert counts["commerce.ctr_minute"] > 100 and counts["commerce.view_quarantine"] > 0
    # the reconciliation's counts, as each engine read them from the lake
    totals = "sum(records_read), sum(product_views), sum(ignored_events), sum(quarantined)"
    recon = engines.duck_rows("staging.stg_commerce__view_files", [totals])
    assert recon == engines.spark_rows("staging.stg_commerce__view_files", [totals])
    read, views, ignored, quarantined = recon[0]
    assert (read, views, quarantined) == (
        loaded.reconciliation.lines_read,
        loaded.reconciliation.valid,
        loaded.reconciliation.quarantined,
    )
    assert read == views + ignored + quarantined

    # Serving: the snapshot published from each engine's marts, then the API over each.
    duck_snap = publish_with(publish_serving, engines.duck_dir, "duckdb", monkeypatch)
    spark_snap = publish_with(publish_serving, engines.spark_dir, "spark", monkeypatch)
    assert snapshot_tables(duck_snap, "commerce") == snapshot_tables(spark_snap, "commerce")
    on_duck, on_spark = _answers(engines.duck_dir), _answers(engines.spark_dir)
    assert all(b.startswith(b"[{") for b in on_duck[:2]), on_duck[:2]
    assert on_duck == on_spark
