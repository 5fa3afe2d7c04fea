"""The API's memory under traffic while every domain's snapshot is republished (issue 13).

``python -m bench.api_memory --data-dir DIR [--seconds 180] [--location-rate 1000]
[--reads 100] [--publish-every 3]``

The focused reproduction of the soak's API memory question, without Dagster: against a
materialised data dir (``make materialize``, or a kept soak dir; its serving snapshots are
republished, nothing else changes), ``uvicorn api.main:app --workers 2`` gets the soak's read
mix (every domain) and paced ``PUT /location`` while a thread republishes every domain's
serving snapshot from the warehouse every ``--publish-every`` seconds, as the pipeline does
after each load. The RSS of every API process is sampled every 5 s; the report says, per
worker, the growth over the first and the second half (flat memory: the second half grows no
more than the first, and less than 5 % of the start). Baseline: the same worker's start.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from bench.common import ProcessGroup, free_port, machine_info, rule, write_result
from bench.processes import RssSampler, print_rss
from bench.soak import PY, Samples, location_traffic, read_traffic, read_urls, wait_http
from tributary import settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-dir", type=Path, default=None, help="a materialised data dir (default: ./data)"
    )
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--location-rate", type=float, default=1000)
    p.add_argument("--reads", type=float, default=100)
    p.add_argument("--publish-every", type=float, default=3)
    return p.parse_args(argv)


def republish(every: float, until: float, published: list[int]) -> None:
    """Every domain's serving snapshot again, one domain per ``every`` seconds."""
    from loaders.adreports.pipeline import publish_serving as adreports
    from loaders.commerce.publish import publish_serving as commerce
    from loaders.gaming.pipeline import publish_serving as gaming
    from loaders.players.pipeline import publish_serving as players
    from tributary import warehouse

    publishers = [gaming, players, commerce, adreports]
    k = 0
    while time.monotonic() + every < until:
        time.sleep(every)
        with warehouse.connect() as con:
            publishers[k % len(publishers)](con)
        k += 1
        published[0] = k


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = (args.data_dir or settings.data_dir()).resolve()
    env = dict(os.environ, TRIBUTARY_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    os.environ["TRIBUTARY_DATA_DIR"] = str(data_dir)
    urls = read_urls()
    port = free_port()
    log = data_dir / "api_memory.log"
    groups = {
        "api": ProcessGroup(
            [PY, "-m", "uvicorn", "api.main:app", "--port", str(port), "--workers", "2"], env, log
        )
    }
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health", 120)
        sampler = RssSampler(groups, every=5).start()
        samples, published = Samples(), [0]
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=location_traffic, args=(base, args.location_rate, until, samples)
            ),
            threading.Thread(target=read_traffic, args=(base, urls, args.reads, until, samples)),
            threading.Thread(target=republish, args=(args.publish_every, until, published)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sampler.stop()
    finally:
        for g in groups.values():
            g.stop()
    result = {
        "machine": machine_info(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "snapshots_published": published[0],
        "routes": samples.report(),
        "rss": sampler.report(),
    }
    print(rule(f"api memory: {args.seconds:.0f} s, load {result['machine']['loadavg']}"))
    for route, s in result["routes"].items():
        print(f"{route:<36} {s['requests']:>9,} {s['p50_ms']:>8} {s['p99_ms']:>8}  {s['statuses']}")
    print(f"snapshots republished: {published[0]}")
    print_rss(result["rss"])
    print(f"result: {write_result('api_memory', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
