"""Throughput of JSON files → the partitioned events lake, against bare DuckDB on the same files.

``python -m bench.events_ingest [--events 1000000 2000000 --files 40 --hours 24]``

For each size: the simulator writes ``--events`` events (300 skewed types, 1% defects, 2%
redeliveries) as JSON-lines files once; then, each in its own child process (so peak RSS is
the step's own, read with ``wait4``):

1. ``tributary``: ``loaders.events.files.land_files`` into a fresh lake — validation,
   quarantine, in-batch and in-lake de-duplication, partitioned Parquet, commit records and
   compaction, in batches of ``EVENTS_BATCH_BYTES``;
2. ``bare``: one DuckDB statement, ``COPY (SELECT … FROM read_json(…, ignore_errors=true))
   TO … (FORMAT parquet, PARTITION_BY (event_type, date, hour))`` — no validation beyond
   what the JSON reader rejects, no de-duplication, no quarantine.

Both run with DuckDB's default threads on this 2-core machine, page cache warm (the files
are read once before timing). Reports events/s, MB/s, the ratio tributary/bare and peak RSS
per size (the memory of the tributary path must not grow with the input), and writes
``bench/results/events_ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, machine_info, rule, write_result

BARE_SQL = """
COPY (
    SELECT data.id AS id, data.type AS type, epoch_ms(meta.created_at) AS created_at,
           meta.service AS service, data.attributes AS attributes,
           data.type AS event_type, strftime(epoch_ms(meta.created_at), '%Y-%m-%d') AS date,
           strftime(epoch_ms(meta.created_at), '%H') AS hour
    FROM read_json('{src}/*.json', format = 'newline_delimited', ignore_errors = true,
                   columns = {{'data': 'STRUCT(id VARCHAR, type VARCHAR, attributes JSON)',
                               'meta': 'STRUCT(created_at BIGINT, service VARCHAR)'}})
    WHERE data.type IS NOT NULL AND meta.created_at IS NOT NULL
      AND NOT contains(data.type, '/')
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_type, date, hour))
"""


def child(kind: str, src: Path, out: Path) -> None:
    """Runs inside the measured child process."""
    if kind == "tributary":
        os.environ["EVENTS_URL"] = str(src)
        os.environ["EVENTS_LAKE_URL"] = str(out)
        from loaders.events.files import land_files

        load = land_files()
        summary = {
            "batches": len(load.batches),
            "read": sum(b.read for b in load.batches),
            "landed": sum(b.landed for b in load.batches),
            "duplicates": sum(b.duplicates for b in load.batches),
            "quarantined": sum(b.quarantined for b in load.batches),
        }
    else:
        from tributary import duck

        con = duck.connect()
        con.execute(BARE_SQL.format(src=src, out=out))
        summary = {
            "landed": con.execute(
                f"SELECT count(*) FROM read_parquet('{out}/*/*/*/*.parquet')"
            ).fetchone()[0]
        }
    print("RESULT " + json.dumps(summary), flush=True)


def measure(kind: str, src: Path, out: Path, env: dict) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.events_ingest", "--child", kind, str(src), str(out)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
    files = sum(1 for _ in out.rglob("*.parquet")) if out.exists() else 0
    return {
        "ok": proc.returncode == 0 and line is not None,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "parquet_files": files,
        **(json.loads(line.removeprefix("RESULT ")) if line else {}),
    }


def run_size(events: int, files: int, hours: int, root: Path, env: dict) -> dict:
    from simulation.events.generator import write_events

    src = root / f"input-{events}"
    t0 = time.perf_counter()
    g = write_events(src, events=events, files=files, hours=hours)
    generated = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in src.glob("*.json"))
    for p in src.glob("*.json"):  # warm the page cache for both contenders
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass
    result: dict = {
        "events": events,
        "lines": g.lines,
        "input_mb": round(size / 1e6, 1),
        "generate_seconds": round(generated, 1),
    }
    for kind in ("bare", "tributary"):
        out = root / f"{kind}-{events}"
        shutil.rmtree(out, ignore_errors=True)
        r = measure(kind, src, out, env)
        r["events_per_s"] = round(g.lines / r["seconds"])
        r["mb_per_s"] = round(size / 1e6 / r["seconds"], 1)
        result[kind] = r
        shutil.rmtree(out, ignore_errors=True)
        print(f"  {kind:9s} {r}", flush=True)
    result["ratio"] = round(result["tributary"]["mb_per_s"] / result["bare"]["mb_per_s"], 3)
    shutil.rmtree(src, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SRC", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.child:
        kind, src, out = args.child
        child(kind, Path(src), Path(out))
        return

    root = Path(tempfile.mkdtemp(prefix="events-bench-", dir=args.workdir))
    env = {**os.environ, "TRIBUTARY_DATA_DIR": str(root / "data"), "PYTHONUNBUFFERED": "1"}
    runs = []
    try:
        for n in args.events:
            print(rule(f"{n:,} events"), flush=True)
            runs.append(run_size(n, args.files, args.hours, root, env))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    payload = {"machine": machine_info(), "runs": runs}
    path = write_result("events_ingest", payload)
    print(rule("summary"))
    for r in runs:
        print(
            f"{r['events']:>11,} events {r['input_mb']:>8} MB | bare {r['bare']['mb_per_s']} MB/s "
            f"{r['bare']['peak_rss_mb']} MB RSS | tributary {r['tributary']['mb_per_s']} MB/s "
            f"{r['tributary']['peak_rss_mb']} MB RSS | ratio {r['ratio']}"
        )
    print(f"written {path}")


if __name__ == "__main__":
    main()
