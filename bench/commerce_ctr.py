"""``GET /ctr`` latency against a naive pandas baseline, measured in the same run.

``python -m bench.commerce_ctr [--views 10000000 --items 1000000 --days 90 --products 5000
--requests 200 --baseline-requests 10 --raw-views 1000000]``

1. Synthetic data at the issue's scale (numpy, fixed seed): product views with a daily cycle
   over ``--days`` days, a popularity skew over ``--products`` products and three platforms;
   order items placed a few minutes after a view of the product on the same platform, ~80 %
   of them with a purchase status.
2. The commerce mart is built from those arrays with the same SQL the dbt model runs
   (minute, platform, product → views, purchases) and published as the serving snapshot
   (``loaders/commerce/publish.py``: minute table + hourly/daily roll-ups, sorted by
   product, minute). The loaders are not part of this figure (their throughput is reported by
   step 5).
3. The real API (uvicorn, one worker) answers ``--requests`` requests of each kind over HTTP:
   (a) 31 days, aggregation=60, one product; (b) 31 days, aggregation=1440, unfiltered, start at
   midnight (daily roll-up); (c) as (b) but starting at 13:55 (minute table).
4. Baseline (what most take-home solutions do): pandas DataFrames of the raw views and items,
   per request filter → bucket → groupby → merge → round. The frames are built from the same
   arrays (no JSON parsing per request: the most favourable reading of that baseline); the
   answers of both are compared for equality.
5. The cost the baseline skips: ``--raw-views`` views are written as JSON batch files and
   read once with ``json`` + pandas, and once with the project's vectorised views parser.

Writes ``bench/results/commerce_ctr.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from bench.common import (
    VENV_BIN,
    ProcessGroup,
    free_port,
    machine_info,
    percentile,
    write_result,
)
from tributary.platforms import PLATFORMS

TZ = "America/Sao_Paulo"
START_DAY = "2016-01-01"
HOURLY = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 12, 11, 9, 8, 8, 9, 11, 13, 14, 12, 8, 4], dtype=float
)


def synthesize(views: int, items: int, days: int, products: int, seed: int = 3):
    """Arrays of views (local minute, platform, product) and qualifying purchases."""
    rng = np.random.default_rng(seed)
    p = np.tile(HOURLY / HOURLY.sum(), days) / days
    hours = rng.choice(len(p), size=views, p=p)
    base = np.datetime64(f"{START_DAY}T00:00", "m")
    minute = base + (hours * 60 + rng.integers(0, 60, size=views)).astype("timedelta64[m]")
    popularity = 1.0 / np.arange(1, products + 1) ** 0.8
    popularity /= popularity.sum()
    product = rng.choice(products, size=views, p=popularity)
    platform = rng.choice(3, size=views, p=[0.4, 0.35, 0.25])
    pick = rng.choice(views, size=items)
    item_minute = minute[pick] + rng.integers(1, 31, size=items).astype("timedelta64[m]")
    bought = rng.random(items) < 0.8  # status counts as a purchase
    names = np.array([f"{20000000 + 37 * i:08d}_{(i % 7) + 1:03d}" for i in range(products)])
    v = pd.DataFrame(
        {"minute": minute, "platform": np.array(PLATFORMS)[platform], "product": names[product]}
    )
    it = pd.DataFrame(
        {
            "minute": item_minute[bought],
            "platform": np.array(PLATFORMS)[platform[pick][bought]],
            "product": names[product[pick][bought]],
        }
    )
    return v, it, names


def build_snapshot(views: pd.DataFrame, purchases: pd.DataFrame) -> dict:
    """The mart (as the dbt model computes it) → the serving snapshot."""
    from loaders.commerce.publish import publish_serving
    from tributary import warehouse

    started = time.perf_counter()
    with warehouse.connect() as con:
        con.register("v", pa.Table.from_pandas(views, preserve_index=False))
        con.register("p", pa.Table.from_pandas(purchases, preserve_index=False))
        con.execute("CREATE SCHEMA IF NOT EXISTS commerce")
        con.execute(
            """
            CREATE OR REPLACE TABLE commerce.ctr_minute AS
            WITH vc AS (SELECT platform, product, minute AS minute_at, count(*) AS n FROM v GROUP BY ALL),
            pc AS (SELECT platform, product, minute AS minute_at, count(*) AS n FROM p GROUP BY ALL)
            SELECT coalesce(vc.minute_at, pc.minute_at) AS minute_at,
                   coalesce(vc.platform, pc.platform) AS platform,
                   coalesce(vc.product, pc.product) AS product,
                   coalesce(vc.n, 0)::BIGINT AS views, coalesce(pc.n, 0)::BIGINT AS purchases
            FROM vc FULL OUTER JOIN pc USING (minute_at, platform, product)
            """
        )
        mart_rows = con.execute("SELECT count(*) FROM commerce.ctr_minute").fetchone()[0]
        built = time.perf_counter()
        path = publish_serving(con)
    return {
        "mart_rows": mart_rows,
        "mart_seconds": round(built - started, 2),
        "publish_seconds": round(time.perf_counter() - built, 2),
        "snapshot_mb": round(path.stat().st_size / 1e6, 1),
    }


def baseline(
    views: pd.DataFrame,
    purchases: pd.DataFrame,
    start: str,
    end: str,
    aggregation: int,
    product: str | None = None,
) -> list[dict]:
    """The naive answer: pandas over the raw rows, per request."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    step = pd.Timedelta(minutes=aggregation)

    def counts(df: pd.DataFrame, name: str) -> pd.DataFrame:
        df = df[(df["minute"] >= s) & (df["minute"] < e)]
        if product is not None:
            df = df[df["product"] == product]
        k = (df["minute"] - s) // step
        return df.assign(k=k).groupby(["k", "platform", "product"]).size().rename(name)

    joined = pd.concat([counts(views, "v"), counts(purchases, "p")], axis=1).fillna(0)
    joined = joined[joined["v"] > 0].sort_index().reset_index()
    ctr = (2 * joined["p"].astype("int64") * 10000 + joined["v"].astype("int64")) // (
        2 * joined["v"].astype("int64")
    )
    out = []
    for k, plat, prod, c in zip(
        joined["k"], joined["platform"], joined["product"], ctr, strict=True
    ):
        out.append(
            {
                "timestamp": (s + int(k) * step).strftime("%Y-%m-%d %H:%M:%S"),
                "platform": plat,
                "product": prod,
                "CTR": f"{c // 10000}.{c % 10000:04d}",
            }
        )
    return out


def raw_files_cost(views: pd.DataFrame, n: int, folder: Path) -> dict:
    """Write ``n`` views as JSON array files per platform; read them naively and with ours."""
    from loaders.commerce.views_parsing import parse_files
    from loaders.incremental_files import Landing

    sample = views.iloc[:n]
    # local wall clock (UTC-2/-3) → UTC epoch ms; only the parsing cost matters here
    ms = sample["minute"].to_numpy().astype("datetime64[ms]").astype("int64") + 3 * 3600 * 1000
    for plat in PLATFORMS:
        (folder / plat).mkdir(parents=True, exist_ok=True)
    written = 0
    for plat in PLATFORMS:
        sub = sample[sample["platform"] == plat]
        subms = ms[(sample["platform"] == plat).to_numpy()]
        chunks = np.array_split(np.arange(len(sub)), max(1, len(sub) // 200_000))
        for i, idx in enumerate(chunks):
            events = [
                '{"event_type":"custom_event","data":{"event_name":"product",'
                f'"timestamp_unixtime_ms":{t},"custom_attributes":{{"codeColor":"{c}"}}}}}}'
                for t, c in zip(subms[idx], sub["product"].to_numpy()[idx], strict=True)
            ]
            batches = [
                '{"events":[' + ",".join(events[j : j + 5]) + "]}" for j in range(0, len(events), 5)
            ]
            path = folder / plat / f"part-{i:03d}.json"
            path.write_text("[" + ",".join(batches) + "]")
            written += path.stat().st_size
    started = time.perf_counter()
    rows = []
    for path in sorted(folder.rglob("*.json")):
        for b in json.loads(path.read_text()):
            for ev in b["events"]:
                d = ev["data"]
                rows.append(
                    (
                        path.parent.name,
                        d["custom_attributes"]["codeColor"],
                        d["timestamp_unixtime_ms"],
                    )
                )
    frame = pd.DataFrame(rows, columns=["platform", "product", "ms"])
    naive = time.perf_counter() - started
    landing = Landing(str(folder))
    files = landing.list()
    started = time.perf_counter()
    parsed = parse_files(landing, files, landing.read(files))
    ours = time.perf_counter() - started
    assert parsed.views.num_rows == len(frame) == n
    return {
        "views": n,
        "json_mb": round(written / 1e6, 1),
        "pandas_json_load_seconds": round(naive, 2),
        "tributary_parser_seconds": round(ours, 2),
    }


def timed(client: httpx.Client, params: dict) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get("/ctr", params=params)
    return (time.perf_counter() - started) * 1000, response


def stats(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--baseline-requests", type=int, default=10)
    parser.add_argument("--raw-views", type=int, default=1_000_000)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-commerce-"))
    os.environ["TRIBUTARY_DATA_DIR"] = str(root / "data")
    result: dict = {"machine": machine_info(), "args": vars(args)}
    server = None
    try:
        t0 = time.perf_counter()
        views, purchases, names = synthesize(args.views, args.items, args.days, args.products)
        result["synthesize_seconds"] = round(time.perf_counter() - t0, 1)
        result["purchases"] = len(purchases)
        result["snapshot"] = build_snapshot(views, purchases)
        print("snapshot:", result["snapshot"], flush=True)

        port = free_port()
        env = {**os.environ, "TRIBUTARY_DATA_DIR": str(root / "data")}
        server = ProcessGroup(
            [
                str(VENV_BIN / "python"),
                "-m",
                "uvicorn",
                "api.main:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            root / "api.log",
        )
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(server.log_tail())
            time.sleep(0.2)

        rng = random.Random(7)
        top = list(names[:500])
        last_start = args.days - 31

        def request(kind: str) -> dict:
            day = pd.Timestamp(START_DAY) + pd.Timedelta(days=rng.randrange(0, max(1, last_start)))
            if kind == "product_60":
                start = day + pd.Timedelta(hours=rng.randrange(24))
                return {
                    "startTimestamp": str(start),
                    "endTimestamp": str(start + pd.Timedelta(days=31)),
                    "aggregation": "60",
                    "product": rng.choice(top),
                }
            if kind == "all_1440_midnight":
                return {
                    "startTimestamp": str(day),
                    "endTimestamp": str(day + pd.Timedelta(days=31)),
                    "aggregation": "1440",
                }
            start = day + pd.Timedelta(hours=13, minutes=55)
            return {
                "startTimestamp": str(start),
                "endTimestamp": str(start + pd.Timedelta(days=31)),
                "aggregation": "1440",
            }

        kinds = ["product_60", "all_1440_midnight", "all_1440_1355"]
        result["api"], result["baseline"], result["ratio_p50"] = {}, {}, {}
        for kind in kinds:
            for _ in range(5):  # warm-up
                timed(client, request(kind))
            latencies, sizes = [], []
            for _ in range(args.requests):
                ms, response = timed(client, request(kind))
                assert response.status_code == 200, response.text
                latencies.append(ms)
                sizes.append(len(response.content))
            result["api"][kind] = {
                **stats(latencies),
                "mean_response_kb": round(sum(sizes) / len(sizes) / 1e3, 1),
            }
            base_ms, equal = [], True
            for _ in range(args.baseline_requests):
                params = request(kind)
                started = time.perf_counter()
                want = baseline(
                    views,
                    purchases,
                    params["startTimestamp"],
                    params["endTimestamp"],
                    int(params["aggregation"]),
                    params.get("product"),
                )
                base_ms.append((time.perf_counter() - started) * 1000)
                got = json.loads(client.get("/ctr", params=params).text, parse_float=str)
                equal = equal and got == want
            result["baseline"][kind] = {**stats(base_ms), "answers_equal": equal}
            result["ratio_p50"][kind] = round(
                result["baseline"][kind]["p50_ms"] / result["api"][kind]["p50_ms"], 1
            )
            print(kind, result["api"][kind], result["baseline"][kind], flush=True)
        server.stop()
        server = None
        if args.raw_views:
            result["raw_files"] = raw_files_cost(
                views, min(args.raw_views, len(views)), root / "raw"
            )
            print("raw:", result["raw_files"], flush=True)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2, default=str))
    print("written:", write_result("commerce_ctr", result))


if __name__ == "__main__":
    main()
