"""``python -m bench.events_history [--events 10000000 --users 1000000]``: one user's history
(scenario 2) from the user layout, against a plain ``read_parquet`` filter on the type/hour
lake, in the same run.

1. Generate ``--events`` events for ``--users`` users (``simulation.events``: skewed users,
   300 types over 24 h), land them (``loaders.events``), then build the user layout from
   nothing (``by_user.maintain``: the write cost of a whole lake) and once more after a
   second, small landing (the incremental cost per batch). Sizes of both layouts.
2. First page (100 events, newest first) of random users, in process
   (``HistoryReader.page``): latency and the bytes the process read for it (``rchar`` of
   ``/proc/self/io``: every byte DuckDB read from files, page cache or not), metadata cache
   warm; the same for the baseline, a plain ``read_parquet`` of the type/hour lake filtered
   on ``user_id`` (fewer users: it reads the whole ``user_id`` column of every file).
3. Over HTTP (``uvicorn api.main:app``, 1 worker): first pages of random users, sequentially.

``--keep DIR`` keeps the data dir; ``--reuse DIR`` skips step 1's generation and landing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import (
    ProcessGroup,
    free_port,
    machine_info,
    make_dirs,
    percentile,
    point_at,
    rule,
    write_result,
)

LIMIT = 100


def rchar() -> int:
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.parquet"))


def build(args, dirs) -> dict:
    from loaders.events import by_user, files
    from simulation.events.generator import write_events

    out: dict = {}
    landing = dirs.data_dir / "landing" / "events"
    if not args.reuse:
        t = time.perf_counter()
        write_events(landing, events=args.events, files=20, hours=24, users=args.users)
        out["generate_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        files.land_files()
        out["land_seconds"] = round(time.perf_counter() - t, 1)
        shutil.rmtree(dirs.data_dir / "lake" / "events" / "by_user", ignore_errors=True)
        t = time.perf_counter()
        full = by_user.maintain()
        out["by_user_full"] = {**vars(full), "wall_seconds": round(time.perf_counter() - t, 1)}
        # A second landing (1 % more events, the next hour) applied incrementally.
        from datetime import UTC, datetime

        write_events(
            landing, events=args.events // 100, files=1, hours=1, users=args.users,
            seed=43, start=datetime(2024, 3, 2, tzinfo=UTC), prefix="more",
        )  # fmt: skip
        files.land_files()
        t = time.perf_counter()
        inc = by_user.maintain()
        out["by_user_incremental"] = {
            **vars(inc),
            "wall_seconds": round(time.perf_counter() - t, 1),
        }
    lake = dirs.data_dir / "lake" / "events"
    out["lake_mb"] = round(folder_bytes(lake / "events") / 1e6, 1)
    out["by_user_mb"] = round(folder_bytes(lake / "by_user") / 1e6, 1)
    return out


def sample_users(lake: Path, n: int) -> list[str]:
    """Users with events: uniformly among users (most are cold) plus the 1 % hottest."""
    import duckdb

    from loaders.events import by_user
    from loaders.events.lake import Lake

    m = by_user.read_manifest(Lake(str(lake)))
    paths = [str(lake / f) for fs in m.files.values() for f in fs]
    counts = duckdb.sql(
        f"SELECT user_id, count(*) AS n FROM read_parquet({paths!r}) GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    rng = random.Random(11)
    hot = [u for u, _ in counts[: max(1, len(counts) // 100)]]
    picked = rng.sample([u for u, _ in counts], min(n, len(counts)))
    return picked[: n - n // 10] + rng.sample(hot, min(len(hot), n // 10))


def layout_pages(lake: Path, users: list[str]) -> dict:
    from loaders.events.history import HistoryReader

    reader = HistoryReader(str(lake))
    for u in users[:50]:
        reader.page(u, LIMIT + 1)  # warm: footers into the metadata cache
    times, reads, sizes, cpu = [], [], [], []
    for u in users:
        r0, t, c = rchar(), time.perf_counter(), time.process_time()
        rows = reader.page(u, LIMIT + 1)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        reads.append(rchar() - r0)
        sizes.append(len(rows))
    reader.close()
    cpu.sort()
    return summary(times, reads) | {
        "events_per_page_mean": round(sum(sizes) / len(sizes), 1),
        "cpu_p50_ms": round(percentile(cpu, 50) * 1000, 1),
        "cpu_p99_ms": round(percentile(cpu, 99) * 1000, 1),
    }


def lake_pages(lake: Path, users: list[str]) -> dict:
    from loaders.events.lake import Lake

    con = Lake(str(lake)).connect(memory_limit="1GB")
    con.execute("SET parquet_metadata_cache = true")
    sql = (
        f"SELECT id, type, created_at, attributes, meta FROM read_parquet("
        f"'{lake}/events/*/*/*/*.parquet', hive_partitioning = true) "
        f"WHERE user_id = $u ORDER BY created_at DESC, id DESC LIMIT {LIMIT + 1}"
    )
    con.execute(sql, {"u": users[0]}).fetchall()  # warm
    times, reads = [], []
    for u in users:
        r0, t = rchar(), time.perf_counter()
        con.execute(sql, {"u": u}).fetchall()
        times.append(time.perf_counter() - t)
        reads.append(rchar() - r0)
    con.close()
    return summary(times, reads)


def summary(times: list[float], reads: list[int]) -> dict:
    times, reads = sorted(times), sorted(reads)
    return {
        "requests": len(times),
        "p50_ms": round(percentile(times, 50) * 1000, 1),
        "p99_ms": round(percentile(times, 99) * 1000, 1),
        "bytes_read_p50": int(percentile(reads, 50)),
        "bytes_read_p99": int(percentile(reads, 99)),
        "bytes_read_max": reads[-1],
    }


def http_pages(env: dict, logs: Path, users: list[str]) -> dict:
    port = free_port()
    server = ProcessGroup(
        [
            *("uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "1", "--no-access-log", "--log-level", "warning"),
        ],
        env,
        logs / "uvicorn.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base)
        times, codes = [], {}
        with httpx.Client(base_url=base, timeout=30) as http:
            for u in users[:50]:
                http.get(f"/events/users/{u}/events", params={"limit": LIMIT})
            for u in users:
                t = time.perf_counter()
                r = http.get(f"/events/users/{u}/events", params={"limit": LIMIT})
                times.append(time.perf_counter() - t)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
        times.sort()
        return {
            "requests": len(times),
            "p50_ms": round(percentile(times, 50) * 1000, 1),
            "p99_ms": round(percentile(times, 99) * 1000, 1),
            "status_codes": codes,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--baseline-requests", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--reuse", type=Path, default=None)
    args = parser.parse_args()
    root = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="bench-events-history-"))
    result: dict = {"machine": machine_info(), "args": {k: str(v) for k, v in vars(args).items()}}
    try:
        dirs = make_dirs(root)
        env = point_at(dirs)
        result["build"] = build(args, dirs)
        lake = dirs.data_dir / "lake" / "events"
        users = sample_users(lake, args.requests)
        result["load_average_1m"] = [round(os.getloadavg()[0], 2)]
        result["layout"] = layout_pages(lake, users)
        result["baseline_lake"] = lake_pages(lake, users[: args.baseline_requests])
        result["http"] = http_pages(env, dirs.logs, users)
        result["load_average_1m"].append(round(os.getloadavg()[0], 2))
    finally:
        if not (args.keep or args.reuse):
            shutil.rmtree(root, ignore_errors=True)
    write_result("events_history", result)
    print_report(result)


def print_report(r: dict) -> None:
    b, lay, base, h = r["build"], r["layout"], r["baseline_lake"], r["http"]
    lake_bytes = b["lake_mb"] * 1e6
    print(rule("events history (scenario 2)"))
    print(f"lake {b['lake_mb']} MB, user layout {b['by_user_mb']} MB")
    for key in ("by_user_full", "by_user_incremental"):
        if key in b:
            x = b[key]
            print(
                f"{key}: {x['rows_applied']:,} rows, {x['delta_files']} files, "
                f"{x['wall_seconds']} s"
            )
    for name, x in (("user layout", lay), ("baseline read_parquet on type/hour lake", base)):
        print(
            f"{name}: first page p50 {x['p50_ms']} ms, p99 {x['p99_ms']} ms; bytes read p50 "
            f"{x['bytes_read_p50']:,} p99 {x['bytes_read_p99']:,} "
            f"({x['bytes_read_p99'] / lake_bytes:.3%} of the lake)"
        )
    print(
        f"user layout CPU per first page (process time, all DuckDB threads): "
        f"p50 {lay['cpu_p50_ms']} ms, p99 {lay['cpu_p99_ms']} ms"
    )
    print(
        f"ratio (baseline / layout): p50 {base['p50_ms'] / max(lay['p50_ms'], 0.01):.0f}x, "
        f"bytes p50 {base['bytes_read_p50'] / max(lay['bytes_read_p50'], 1):.0f}x"
    )
    print(
        f"HTTP first page: p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, {h['status_codes']}; "
        f"load average {r['load_average_1m']}"
    )


if __name__ == "__main__":
    main()
