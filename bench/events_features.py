"""Scenario 4 figures: real-time product features, on both online stores.

``python -m bench.events_features [--seconds 30 --rate 2000 --products 50000]``

For each store (embedded SQLite, Redis on 127.0.0.1:6379 under a throwaway key prefix):

1. **Freshness**: the features consumer (``python -m loaders.events features --follow``, its own
   process) and the API (uvicorn, its own process) run; events are published to NATS JetStream
   paced at ``--rate`` events/s for ``--seconds``; every 100 ms a probe event for a new product
   is published among them and ``GET /features/products/{probe}`` is polled every 20 ms until
   it counts it: published → visible over HTTP (so up to 20 ms of the figure is polling).
2. **Batch lookup**: ``POST /features/products:batch`` with 100 random ids of a store holding
   ``--events`` events over ``--products`` products and 7 days, closed loop over HTTP, and
   the store's own ``read`` of 100 ids in process.

Baseline, same run: the same windows for 100 ids computed by a DuckDB query over the same
events in a Parquet lake partitioned like the events lake (type/date/hour). Writes
``bench/results/events_features.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import httpx

from bench.common import free_port, machine_info, percentile, rule, write_result

REPO = Path(__file__).resolve().parents[1]
NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"
TYPES = ["product_impression", "product_liked", "conversation_started"]
MINUTE = 60_000


def line(type_: str, product: str, at: int) -> bytes:
    doc = {
        "data": {
            "id": str(uuid.uuid4()),
            "type": type_,
            "attributes": {"user_id": "u", "product_id": product},
        },
        "meta": {"created_at": at, "service": "bench"},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def skewed_product(rng: random.Random, products: int) -> str:
    return f"prod-{min(int(rng.paretovariate(1.1)) - 1, products - 1)}"


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_healthy(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the API exited"
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not start")


async def freshness(base: str, names: dict, rate: int, seconds: float, products: int) -> dict:
    """Publish paced at ``rate``/s; probes every 100 ms; returns the probe latencies."""
    import nats

    from loaders.events.jetstream import ensure_stream

    rng = random.Random(1)
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await ensure_stream(js, names["stream"], names["subject"])
    latencies: list[float] = []
    probes: list[asyncio.Task] = []
    published = 0
    http = httpx.AsyncClient(base_url=base, timeout=10)

    async def probe(k: int) -> None:
        product = f"probe-{k}"
        t0 = time.perf_counter()
        await js.publish(names["subject"], line("product_liked", product, int(time.time() * 1000)))
        while time.perf_counter() - t0 < 30:
            body = (await http.get(f"/features/products/{product}")).json()
            if body["likes"]["1h"] == 1:
                latencies.append(time.perf_counter() - t0)
                return
            await asyncio.sleep(0.02)  # 20 ms: ~20 probes in flight must not saturate the API

    # Pre-built lines (stamped at publish time): the publisher must not be the bottleneck.
    templates = [
        line(rng.choice(TYPES), skewed_product(rng, products), 0)
        for _ in range(int(rate * seconds) + rate)
    ]
    tick = 0.01
    per_tick = rate * tick
    started = time.perf_counter()
    next_probe = started
    owed = 0.0
    k = 0
    while (now := time.perf_counter()) - started < seconds:
        owed += per_tick
        n = int(owed)
        owed -= n
        stamp = b'"created_at":%d' % int(time.time() * 1000)
        # The load is published on the stream's subject without waiting for JetStream's
        # per-message ack (it stores them all the same; ``pending_after`` and the consumer's
        # count show none lost): awaiting ~2,000 acks/s made the Python publisher, not the
        # pipeline, the bottleneck on a loaded machine. Probes still wait for their ack.
        for t in templates[published : published + n]:
            await nc.publish(names["subject"], t.replace(b'"created_at":0', stamp))
        await nc.flush()
        published += n
        if now >= next_probe:
            probes.append(asyncio.create_task(probe(k)))
            k += 1
            next_probe += 0.1
        delay = started + (published / rate) - time.perf_counter()
        await asyncio.sleep(max(delay, 0))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*probes)
    await http.aclose()
    info = await js.consumer_info(names["stream"], names["durable"])
    stored = (await js.stream_info(names["stream"])).state.messages
    await nc.close()
    return {
        "published": published,
        "publish_rate": round(published / elapsed),
        "probes": len(probes),
        "visible": len(latencies),
        "p50_s": round(percentile(latencies, 50), 3),
        "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3),
        "pending_after": info.num_pending,
        "stream_messages": stored,  # = published + probes: none lost unacknowledged
    }


def fill(store, events: int, products: int, now: int) -> list[tuple[str, str, int]]:
    rng = random.Random(2)
    rows = []
    batch = []
    for seq in range(1, events + 1):
        type_, product = rng.choice(TYPES), skewed_product(rng, products)
        if rng.random() < 0.5:  # half over the whole week, half uniformly over products
            product = f"prod-{rng.randrange(products)}"
        at = now - rng.randint(1, 7 * 1440 * MINUTE)
        rows.append((product, type_, at))
        batch.append((seq, line(type_, product, at)))
        if len(batch) == 5000:
            store.apply("bench", batch, now)
            batch = []
    if batch:
        store.apply("bench", batch, now)
    return rows


def lookups(base: str, store, products: int, requests: int) -> dict:
    """Closed loop, one connection: ``POST /features/products:batch`` of 100 random ids sent by
    the lean keep-alive client (``simulation.location.replay``: requests encoded up front, so
    the figure is the API's, not a Python HTTP client's), each answer checked; the same with
    ``httpx`` (the previous runs' client, ~1 ms of its own per request); the store's ``read``
    in process."""
    from urllib.parse import urlsplit

    from simulation.location.replay import replay

    rng = random.Random(3)
    host = urlsplit(base).netloc
    raw = []
    for _ in range(requests):
        body = json.dumps({"product_ids": [f"prod-{rng.randrange(products)}" for _ in range(100)]})
        raw.append(
            (
                f"POST /features/products:batch HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
            ).encode()
        )
    replay(base, [], raw_requests=raw[: max(1, requests // 10)], connections=1)  # warm-up
    lean = replay(base, [], raw_requests=raw, connections=1, keep_bodies=True)
    assert set(lean.statuses) == {200}, lean.summary()["status_counts"]
    assert all(len(json.loads(b)) == 100 for b in lean.bodies)
    http_times, read_times = sorted(lean.latencies), []
    httpx_times = []
    with httpx.Client(base_url=base, timeout=10) as http:
        for _ in range(requests):
            ids = [f"prod-{rng.randrange(products)}" for _ in range(100)]
            t0 = time.perf_counter()
            r = http.post("/features/products:batch", json={"product_ids": ids})
            httpx_times.append(time.perf_counter() - t0)
            assert r.status_code == 200 and len(r.json()) == 100
    for _ in range(requests):
        ids = [f"prod-{rng.randrange(products)}" for _ in range(100)]
        t0 = time.perf_counter()
        store.read(ids)
        read_times.append(time.perf_counter() - t0)
    ms = 1000
    return {
        "http_p50_ms": round(percentile(http_times, 50) * ms, 2),
        "http_p99_ms": round(percentile(http_times, 99) * ms, 2),
        "httpx_p50_ms": round(percentile(httpx_times, 50) * ms, 2),
        "httpx_p99_ms": round(percentile(httpx_times, 99) * ms, 2),
        "in_process_p50_ms": round(percentile(read_times, 50) * ms, 2),
        "in_process_p99_ms": round(percentile(read_times, 99) * ms, 2),
        "requests": requests,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def duckdb_baseline(rows: list[tuple[str, str, int]], root: Path, products: int, runs: int) -> dict:
    """The windows for 100 ids by one DuckDB query over a type/date/hour Parquet lake."""
    import pyarrow as pa

    lake = root / "lake"
    con = duckdb.connect()
    table = pa.table(
        {
            "product_id": [r[0] for r in rows],
            "event_type": [r[1] for r in rows],
            "created_ms": [r[2] for r in rows],
        }
    )
    con.register("rows_in", table)
    con.execute(
        f"""COPY (SELECT *, strftime(make_timestamp(created_ms * 1000), '%Y-%m-%d') AS date,
                  strftime(make_timestamp(created_ms * 1000), '%H') AS hour FROM rows_in)
            TO '{lake}' (FORMAT parquet, PARTITION_BY (event_type, date, hour))"""
    )
    files = sum(1 for _ in lake.rglob("*.parquet"))
    sql = f"""
        SELECT product_id,
               count(*) FILTER (WHERE event_type = 'product_impression' AND m > $m - 60),
               count(*) FILTER (WHERE event_type = 'product_impression' AND m > $m - 1440),
               count(*) FILTER (WHERE event_type = 'product_impression'),
               count(*) FILTER (WHERE event_type = 'product_liked' AND m > $m - 60),
               count(*) FILTER (WHERE event_type = 'product_liked' AND m > $m - 1440),
               count(*) FILTER (WHERE event_type = 'product_liked'),
               count(*) FILTER (WHERE event_type = 'conversation_started' AND m > $m - 60),
               count(*) FILTER (WHERE event_type = 'conversation_started' AND m > $m - 1440),
               count(*) FILTER (WHERE event_type = 'conversation_started')
        FROM (SELECT product_id, event_type, created_ms // 60000 AS m, created_ms
              FROM read_parquet('{lake}/**/*.parquet', hive_partitioning = true))
        WHERE product_id IN (SELECT unnest($ids)) AND created_ms < $as_of AND m > $m - 10080
        GROUP BY product_id"""
    rng = random.Random(4)
    times = []
    for _ in range(runs):
        ids = [f"prod-{rng.randrange(products)}" for _ in range(100)]
        as_of = int(time.time() * 1000)
        t0 = time.perf_counter()
        con.execute(sql, {"ids": ids, "as_of": as_of, "m": as_of // MINUTE}).fetchall()
        times.append(time.perf_counter() - t0)
    con.close()
    return {
        "files": files,
        "p50_ms": round(percentile(times, 50) * 1000, 1),
        "p99_ms": round(percentile(times, 99) * 1000, 1),
        "runs": runs,
    }


def run_store(kind: str, args, root: Path) -> dict:
    from tributary.features.redis_store import RedisStore
    from tributary.features.sqlite_store import SqliteStore

    data = root / kind
    (data / "logs").mkdir(parents=True)
    names = {"stream": f"BENCH_FEAT_{uuid.uuid4().hex[:8]}"}
    names |= {"subject": f"bench.{names['stream']}", "durable": f"bench-{names['stream']}"}
    env = {**os.environ, "TRIBUTARY_DATA_DIR": str(data), "API_ACCESS_LOG": "false"}
    env |= {
        "EVENTS_NATS_URL": NATS_URL,
        "EVENTS_NATS_STREAM": names["stream"],
        "EVENTS_NATS_SUBJECT": names["subject"],
        "EVENTS_FEATURES_DURABLE": names["durable"],
    }
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    if kind == "redis":
        env |= {"FEATURES_REDIS_URL": REDIS_URL, "FEATURES_REDIS_PREFIX": prefix}
    else:
        env.pop("FEATURES_REDIS_URL", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = start(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--no-access-log"],
        env,
        data / "logs" / "api.log",
    )
    consumer = start(
        [sys.executable, "-m", "loaders.events", "features", "--follow", "--batch-size", "1000"],
        env,
        data / "logs" / "features.log",
    )
    result: dict = {}
    try:
        wait_healthy(base, api)
        time.sleep(3)  # the consumer's imports
        print(rule(f"{kind}: freshness at {args.rate} events/s for {args.seconds} s"))
        result["freshness"] = asyncio.run(
            freshness(base, names, args.rate, args.seconds, args.products)
        )
        print(json.dumps(result["freshness"]))
    finally:
        stop(consumer)
    # A second store under the same settings for the lookups (the consumer is stopped).
    store = (
        RedisStore(REDIS_URL, prefix + "lookup:")
        if kind == "redis"
        else SqliteStore(data / "lookup.sqlite")
    )
    try:
        now = int(time.time() * 1000)
        rows = fill(store, args.events, args.products, now)
        stop(api)
        env2 = dict(env)
        if kind == "redis":
            env2["FEATURES_REDIS_PREFIX"] = prefix + "lookup:"
        else:
            env2["FEATURES_SQLITE_PATH"] = str(data / "lookup.sqlite")
        api = start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env2,
            data / "logs" / "api2.log",
        )
        wait_healthy(base, api)
        print(
            rule(
                f"{kind}: batch lookup of 100 ids ({args.events} events, {args.products} products)"
            )
        )
        # What the running consumer does at least once a second: move the totals to the
        # clock's minute (the fill's minute is minutes old by now).
        store.sweep()
        result["lookup"] = lookups(base, store, args.products, args.requests)
        print(json.dumps(result["lookup"]))
        result["rows"] = rows
    finally:
        stop(api)
        if kind == "redis":
            store.drop()
            RedisStore(REDIS_URL, prefix).drop()
        store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--stores", default="sqlite,redis")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="events-features-"))
    out: dict = {"machine_before": machine_info(), "args": vars(args)}
    rows = None
    for kind in args.stores.split(","):
        result = run_store(kind, args, root)
        rows = result.pop("rows")
        out[kind] = result
    print(rule("baseline: the same windows by a DuckDB query over a type/date/hour Parquet lake"))
    out["duckdb_lake"] = duckdb_baseline(rows, root, args.products, runs=50)
    print(json.dumps(out["duckdb_lake"]))
    out["machine_after"] = machine_info()
    for kind in args.stores.split(","):
        lookup = out[kind]["lookup"]
        ratio = out["duckdb_lake"]["p99_ms"] / lookup["http_p99_ms"]
        print(
            f"{kind}: freshness p95 {out[kind]['freshness']['p95_s']} s (goal 1 s); batch of 100 "
            f"p99 {lookup['http_p99_ms']} ms over HTTP (goal 10 ms; Feast's published 114 ms; "
            f"httpx client {lookup['httpx_p99_ms']} ms), "
            f"{ratio:.0f}x faster than the DuckDB lake query's p99 {out['duckdb_lake']['p99_ms']} ms"
        )
    print(
        f"load average before/after: {out['machine_before']['loadavg']} / {out['machine_after']['loadavg']}"
    )
    write_result("events_features", out)


if __name__ == "__main__":
    main()
