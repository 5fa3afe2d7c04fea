"""The same dbt models on DuckDB and on Spark ``local[2]``, in one run: build time, the ratio, and
the peak memory of each.

``python -m bench.engines [--events 10000000 --hours 24]``

The simulator writes ``--events`` domain events (300 skewed types) as JSON-lines files once and
the events loader lands them in a fresh Parquet lake (not timed). Then ``dbt build --select
tag:events`` (staging views, the two incremental marts from scratch, the KPI mart, their tests)
runs once per engine, each in its own child process with its own data dir: DuckDB
(``TRIBUTARY_ENGINE=duckdb``, 2 threads of DuckDB) and Spark (``TRIBUTARY_ENGINE=spark``,
``TRIBUTARY_SPARK_MASTER=local[2]``, the JVM started inside dbt's process, so its start-up is
part of the figure). Peak memory is the largest summed RSS of the child's process tree
(dbt + the JVM), sampled every 0.2 s. Writes ``bench/results/engines.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.common import DBT_PROJECT_DIR, REPO, VENV_BIN, machine_info, rule, write_result


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def build(engine: str, data: Path, lake: Path) -> dict:
    """``dbt build`` of the events models on ``engine``: seconds and peak tree RSS."""
    data.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TRIBUTARY_ENGINE": engine,
        "TRIBUTARY_DATA_DIR": str(data),
        "TRIBUTARY_SPARK_MASTER": "local[2]",
        "TRIBUTARY_SPARK_DRIVER_MEMORY": "2g",
        "EVENTS_LAKE_URL": str(lake),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(data / "logs"),
    }
    args = [str(VENV_BIN / "dbt"), "build", "--select", "tag:events"]
    args += ["--target-path", str(data / "target")]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        watched = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                peak = max(peak, _tree_rss(watched))
            except psutil.Error:
                return
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"dbt build on {engine} failed:\n{out[-4000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        landing, lake = root / "landing", root / "lake"
        env = {**os.environ, "TRIBUTARY_DATA_DIR": str(root / "loader")}
        env |= {"EVENTS_URL": str(landing), "EVENTS_LAKE_URL": str(lake)}
        gen = [sys.executable, "-m", "simulation.events", "--out", str(landing)]
        gen += ["--events", str(args.events), "--hours", str(args.hours)]
        subprocess.run(gen, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        land = [sys.executable, "-m", "loaders.events", "land"]
        subprocess.run(land, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        files = sum(1 for _ in lake.rglob("*.parquet"))
        lake_mb = sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 2**20

        results = {engine: build(engine, root / engine, lake) for engine in ("duckdb", "spark")}
        ratio = round(results["spark"]["seconds"] / results["duckdb"]["seconds"], 2)
        info = machine_info()
        print(rule(f"dbt build --select tag:events, {args.events:,} events"))
        print(f"lake: {files} Parquet files, {lake_mb:.0f} MB; load average {info['loadavg']}")
        print("| engine | build s | peak RSS MB |")
        print("|---|---|---|")
        for engine, r in results.items():
            print(f"| {engine} | {r['seconds']} | {r['peak_rss_mb']} |")
        print(f"spark / duckdb build time: {ratio}x")
        payload = {"events": args.events, "lake_files": files, "lake_mb": round(lake_mb)}
        payload |= {"results": results, "ratio_spark_over_duckdb": ratio, "machine": info}
        write_result("engines", payload)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
