"""The commerce domain end to end: CSV → shop DB → dlt → dbt → snapshot → ``GET /ctr``,
checked against an independent computation over the raw inputs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest

from loaders.commerce import shop_source
from loaders.commerce.shop_db import load_exports
from simulation.commerce.generator import write_sample
from tests.commerce import oracle
from tests.commerce.conftest import activate, drop_shop_tables
from tests.conftest import rows, run_job

pytestmark = pytest.mark.slow  # the session's loaded_run is a whole commerce_refresh (dbt build)

FMT = "%Y-%m-%d %H:%M:%S"


def get_ctr(base: str, **params: str) -> list[dict]:
    response = httpx.get(f"{base}/ctr", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=str)


def expected(inputs: Path, orders: list[Path], items: list[Path], **params) -> list[dict]:
    start = datetime.strptime(params.pop("startTimestamp"), FMT)
    end = datetime.strptime(params.pop("endTimestamp"), FMT)
    aggregation = int(params.pop("aggregation"))
    return oracle.ctr(
        oracle.views(inputs / "views"),
        oracle.purchases(orders, items),
        start,
        end,
        aggregation,
        params.get("product"),
        params.get("platform"),
    )


def exports(inputs: Path) -> tuple[list[Path], list[Path]]:
    shop = inputs / "shop"
    return (
        [shop / "orders.csv", shop / "edge_orders.csv", *sorted(shop.glob("more_orders*.csv"))],
        [shop / "order_items.csv", shop / "edge_items.csv", *sorted(shop.glob("more_items*.csv"))],
    )


def test_refresh_succeeds_and_every_check_passes(loaded_run):
    result = loaded_run.result
    assert result.success
    checks = result.get_asset_check_evaluations()
    errors = [c for c in checks if c.severity == dg.AssetCheckSeverity.ERROR]
    assert errors and all(c.passed for c in errors), [c for c in errors if not c.passed]
    names = {c.asset_check_key.name for c in checks}
    assert {"events_reconcile", "matches_shop_db", "assert_commerce_purchases_reconcile"} <= names
    # The sample has items of an unknown order: reported as a warning, never counted.
    [orphans] = [c for c in checks if c.asset_check_key.name.startswith("relationships_stg")]
    assert not orphans.passed and orphans.severity == dg.AssetCheckSeverity.WARN


REQUESTS = [
    {
        "startTimestamp": "2016-01-04 13:55:00",
        "endTimestamp": "2016-01-06 13:55:00",
        "aggregation": "60",
    },
    {
        "startTimestamp": "2016-01-04 00:00:00",
        "endTimestamp": "2016-01-07 00:00:00",
        "aggregation": "1440",
    },
    {
        "startTimestamp": "2016-01-04 06:00:00",
        "endTimestamp": "2016-01-05 06:00:00",
        "aggregation": "180",
        "platform": "Android",
    },
    {
        "startTimestamp": "2016-01-04 10:07:00",
        "endTimestamp": "2016-01-06 10:07:00",
        "aggregation": "7",
    },
    {
        "startTimestamp": "2016-01-03 00:00:00",
        "endTimestamp": "2016-01-08 00:00:00",
        "aggregation": "100000",
    },
]


@pytest.mark.parametrize("params", REQUESTS)
def test_ctr_matches_independent_computation(loaded_run, api_base, params):
    inputs = loaded_run.env.inputs
    want = expected(inputs, *exports(inputs), **params)
    assert want and any(e["CTR"] != "0.0000" for e in want)
    assert get_ctr(api_base, **params) == want


def test_ctr_for_one_product_matches(loaded_run, api_base):
    inputs = loaded_run.env.inputs
    purchases = oracle.purchases(*exports(inputs))
    top = max({p for _, _, p in purchases}, key=lambda p: sum(1 for x in purchases if x[2] == p))
    params = {
        "startTimestamp": "2016-01-04 00:00:00",
        "endTimestamp": "2016-01-07 00:00:00",
        "aggregation": "60",
        "product": top,
    }
    got = get_ctr(api_base, **params)
    assert got == expected(inputs, *exports(inputs), **params)
    assert {e["product"] for e in got} == {top}
    # Product and platform together: that platform's entries of the product-only answer.
    for platform in ("iOS", "Android", "MobileWeb"):
        one = get_ctr(api_base, **params, platform=platform)
        assert one == [e for e in got if e["platform"] == platform]


def test_bucket_edges_zero_and_half_up(api_base):
    params = {
        "startTimestamp": "2015-06-01 10:00:00",
        "endTimestamp": "2015-06-01 12:00:00",
        "aggregation": "60",
    }
    response = httpx.get(f"{api_base}/ctr", params=params)
    assert response.headers["content-type"] == "application/json"
    # CTR is a JSON number with exactly four decimals.
    assert '"CTR":0.0000' in response.text and '"CTR":1.2500' in response.text
    assert json.loads(response.text, parse_float=str) == [
        {
            "timestamp": "2015-06-01 10:00:00",
            "platform": "Android",
            "product": "EDGE_H",
            "CTR": "0.0313",
        },
        {
            "timestamp": "2015-06-01 10:00:00",
            "platform": "MobileWeb",
            "product": "EDGE_B",
            "CTR": "1.2500",
        },
        {
            "timestamp": "2015-06-01 10:00:00",
            "platform": "iOS",
            "product": "EDGE_A",
            "CTR": "0.5000",
        },
        {
            "timestamp": "2015-06-01 10:00:00",
            "platform": "iOS",
            "product": "EDGE_Z",
            "CTR": "0.0000",
        },
        # 11:00:00.000 opens the second bucket; the view at 12:00:00.000 = end is excluded.
        {
            "timestamp": "2015-06-01 11:00:00",
            "platform": "iOS",
            "product": "EDGE_A",
            "CTR": "0.0000",
        },
    ]
    two_hours = get_ctr(api_base, **{**params, "aggregation": "120", "product": "EDGE_A"})
    assert two_hours == [
        {
            "timestamp": "2015-06-01 10:00:00",
            "platform": "iOS",
            "product": "EDGE_A",
            "CTR": "0.3333",
        }
    ]
    # A range ending exactly on 11:00 excludes the view at 11:00:00.000; the last bucket is short.
    short = get_ctr(
        api_base,
        **{**params, "endTimestamp": "2015-06-01 11:00:00", "aggregation": "45", "platform": "iOS"},
    )
    assert [(e["timestamp"], e["product"], e["CTR"]) for e in short] == [
        ("2015-06-01 10:00:00", "EDGE_A", "1.0000"),
        ("2015-06-01 10:00:00", "EDGE_Z", "0.0000"),
        ("2015-06-01 10:45:00", "EDGE_A", "0.0000"),
    ]


BAD = [
    ({"endTimestamp": "2016-01-04 00:00:00", "aggregation": "60"}, "startTimestamp", "required"),
    ({"startTimestamp": "2016-01-04 00:00:00", "aggregation": "60"}, "endTimestamp", "required"),
    (
        {"startTimestamp": "2016-01-04 00:00:00", "endTimestamp": "2016-01-05 00:00:00"},
        "aggregation",
        "required",
    ),
    (
        {
            "startTimestamp": "2016-01-04T00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
        },
        "startTimestamp",
        "format",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
        },
        "startTimestamp",
        "format",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-02-30 00:00:00",
            "aggregation": "60",
        },
        "endTimestamp",
        "real",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:30",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
        },
        "startTimestamp",
        "whole minute",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-04 00:00:00",
            "aggregation": "60",
        },
        "endTimestamp",
        "after",
    ),
    (
        {
            "startTimestamp": "2016-01-05 00:00:00",
            "endTimestamp": "2016-01-04 00:00:00",
            "aggregation": "60",
        },
        "endTimestamp",
        "after",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "0",
        },
        "aggregation",
        "positive integer",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "-5",
        },
        "aggregation",
        "positive integer",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "1.5",
        },
        "aggregation",
        "positive integer",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "abc",
        },
        "aggregation",
        "positive integer",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
            "platform": "ios",
        },
        "platform",
        "one of",
    ),
    (
        {
            "startTimestamp": "2016-01-04 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
            "platform": "Desktop",
        },
        "platform",
        "one of",
    ),
    (
        {
            "startTimestamp": "2000-01-01 00:00:00",
            "endTimestamp": "2016-01-05 00:00:00",
            "aggregation": "60",
        },
        "aggregation",
        "at most 50000",
    ),
]


def test_every_bad_request_is_a_400_naming_the_parameter(api_base):
    for params, field, reason in BAD:
        response = httpx.get(f"{api_base}/ctr", params=params)
        assert response.status_code == 400, (params, response.text)
        error = response.json()["error"]
        assert error["field"] == field and reason in error["reason"], (params, error)


def test_max_buckets_boundary_and_bound_parameters(api_base):
    # 50,000 one-minute buckets are allowed, 50,001 are not.
    ok = {
        "startTimestamp": "2016-01-01 00:00:00",
        "endTimestamp": "2016-02-04 17:20:00",
        "aggregation": "1",
        "product": "none",
    }
    assert httpx.get(f"{api_base}/ctr", params=ok).status_code == 200
    too_many = {**ok, "endTimestamp": "2016-02-04 17:21:00"}
    assert httpx.get(f"{api_base}/ctr", params=too_many).status_code == 400
    injected = {**ok, "aggregation": "60", "product": "x' OR '1'='1"}
    assert get_ctr(api_base, **injected) == []


def test_sqlite_and_postgresql_sources_give_the_same_mart(
    loaded_run, postgres_url, tmp_path, monkeypatch
):
    data = tmp_path / "data"
    data.mkdir()
    activate(monkeypatch, data, loaded_run.env.inputs, postgres_url)
    try:
        shop = loaded_run.env.inputs / "shop"
        load_exports(shop / "orders.csv", shop / "order_items.csv")
        load_exports(shop / "edge_orders.csv", shop / "edge_items.csv")
        result = run_job("commerce_refresh")
        assert result.success
        on_postgres = rows("SELECT * FROM commerce.ctr_minute ORDER BY ALL")
    finally:
        drop_shop_tables(postgres_url)
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(loaded_run.env.data_dir))
    on_sqlite = rows("SELECT * FROM commerce.ctr_minute ORDER BY ALL")
    assert on_postgres == on_sqlite and sum(r[4] for r in on_sqlite) > 0


def test_incremental_rerun_new_orders_new_files_and_a_status_change(
    loaded_run, api_base, tmp_path, monkeypatch
):
    # Changes the shared run, so it is the last test of the module. (A copy would not do: the
    # manifest is keyed by file path, and a copied folder is a new set of files.)
    env = loaded_run.env
    activate(monkeypatch, env.data_dir, env.inputs, None)
    loads_before = rows("SELECT count(*) FROM commerce_views.file_loads")[0][0]
    # New view files (a later period) and their orders, as a second pair of exports.
    more = tmp_path / "more"
    write_sample(
        more,
        products=300,
        views=1500,
        days=1,
        start="2016-01-08",
        seed=9,
        tag="-b",
        first_order_id=900_000,
        real_dialect=False,
        defects=False,
    )
    for platform in ("iOS", "Android", "MobileWeb"):
        for f in (more / "views" / platform).glob("*.json"):
            f.rename(env.views / platform / f.name)
    (more / "shop" / "orders.csv").rename(env.inputs / "shop" / "more_orders.csv")
    (more / "shop" / "order_items.csv").rename(env.inputs / "shop" / "more_items.csv")
    new_files = len(list(env.views.rglob("*-b-*.json")))
    # Order 1 (EDGE_A, delivered) is refunded.
    edge_orders = env.inputs / "shop" / "edge_orders.csv"
    edge_orders.write_text(
        edge_orders.read_text().replace(
            "1,2015-06-01 10:30:00,delivered", "1,2015-06-01 10:30:00,refunded"
        )
    )
    shop = env.inputs / "shop"
    load_exports(shop / "edge_orders.csv", shop / "edge_items.csv")
    load_exports(shop / "more_orders.csv", shop / "more_items.csv")
    new_orders = len((shop / "more_orders.csv").read_text().splitlines()) - 1
    new_items = len((shop / "more_items.csv").read_text().splitlines()) - 1

    result = run_job("commerce_refresh")
    assert result.success
    assert all(
        c.passed
        for c in result.get_asset_check_evaluations()
        if c.severity == dg.AssetCheckSeverity.ERROR
    )
    # Only the new files were read; only new and changed orders were extracted.
    assert rows("SELECT count(*) FROM commerce_views.file_loads")[0][0] == loads_before + new_files
    extracted = shop_source.pipeline().last_trace.last_normalize_info.row_counts
    assert extracted["orders"] == new_orders + 1  # the new orders and the refunded one
    assert extracted["order_items"] == new_items
    assert rows("SELECT status FROM commerce_shop.orders WHERE id = 1") == [("refunded",)]

    edge = {
        "startTimestamp": "2015-06-01 10:00:00",
        "endTimestamp": "2015-06-01 11:00:00",
        "aggregation": "60",
        "product": "EDGE_A",
    }
    assert [e["CTR"] for e in get_ctr(api_base, **edge)] == ["0.0000"]
    params = {
        "startTimestamp": "2016-01-07 00:00:00",
        "endTimestamp": "2016-01-10 00:00:00",
        "aggregation": "60",
    }
    got = get_ctr(api_base, **params)
    assert got and got == expected(env.inputs, *exports(env.inputs), **params)
