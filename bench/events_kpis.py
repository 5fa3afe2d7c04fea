"""Question 3 figures: daily KPIs straight from the lake, locally and over the S3 protocol.

``python -m bench.events_kpis [--events 1000000 --hours 24]``

Generates ``--events`` events over one day, lands them (``land_files``), then measures:
the lake's bytes per event, the compressed bytes of the ``user_id`` column per event (what a
DAU query must fetch), and ``daily_kpis`` for that day — on the local lake, and on the same
lake uploaded to moto's S3 server on 127.0.0.1 (the S3 code path: LIST + ranged GETs through
DuckDB httpfs; moto is an in-process emulator, so its time is not S3's). Writes
``bench/results/events_kpis.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from bench.common import free_port, machine_info, rule, write_result


def column_bytes(lake: Path, column: str) -> tuple[int, int, int]:
    """(files, total bytes, compressed bytes of ``column``) over the lake's event files."""
    files = list((lake / "events").rglob("*.parquet"))
    total = sum(f.stat().st_size for f in files)
    col = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        idx = meta.schema.names.index(column)
        col += sum(
            meta.row_group(i).column(idx).total_compressed_size for i in range(meta.num_row_groups)
        )
    return len(files), total, col


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--skip-s3", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="events-kpis-"))
    os.environ["TRIBUTARY_DATA_DIR"] = str(root / "data")
    src, lake = root / "input", root / "lake"
    os.environ["EVENTS_URL"], os.environ["EVENTS_LAKE_URL"] = str(src), str(lake)
    from loaders.events.files import land_files
    from loaders.events.kpis import daily_kpis
    from simulation.events.generator import write_events

    out: dict = {"events": args.events}
    try:
        print(rule(f"{args.events:,} events over {args.hours} h"), flush=True)
        write_events(src, events=args.events, files=20, hours=args.hours, users=args.users)
        t = time.perf_counter()
        load = land_files()
        out["land_seconds"] = round(time.perf_counter() - t, 1)
        out["landed"] = sum(b.landed for b in load.batches)
        files, total, user_col = column_bytes(lake, "user_id")
        out.update(
            lake_files=files,
            lake_bytes_per_event=round(total / out["landed"], 1),
            user_id_bytes_per_event=round(user_col / out["landed"], 2),
            input_bytes_per_event=round(
                sum(p.stat().st_size for p in src.glob("*.json")) / out["landed"], 1
            ),
        )
        day = date(2024, 3, 1)
        for threads in (1, 2):
            k = daily_kpis(day, str(lake), threads=threads)
            out[f"local_{threads}t"] = {
                x: k[x]
                for x in ("files_read", "list_seconds", "query_seconds", "events", "active_users")
            }
        print(out, flush=True)
        if not args.skip_s3:
            import boto3
            from moto.server import ThreadedMotoServer

            port = free_port()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            try:
                endpoint = f"http://127.0.0.1:{port}"
                os.environ.update(
                    AWS_ACCESS_KEY_ID="x",
                    AWS_SECRET_ACCESS_KEY="x",
                    AWS_DEFAULT_REGION="us-east-1",
                    AWS_ENDPOINT_URL=endpoint,
                )
                s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
                s3.create_bucket(Bucket="lake")
                t = time.perf_counter()
                for f in (lake / "events").rglob("*.parquet"):
                    s3.upload_file(
                        str(f), "lake", "events/" + f.relative_to(lake / "events").as_posix()
                    )
                out["s3_upload_seconds"] = round(time.perf_counter() - t, 1)
                k = daily_kpis(day, "s3://lake", threads=2)
                out["moto_s3_2t"] = {
                    x: k[x]
                    for x in (
                        "files_read",
                        "list_seconds",
                        "query_seconds",
                        "events",
                        "active_users",
                    )
                }
            finally:
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out["machine"] = machine_info()
    print(out)
    print(f"written {write_result('events_kpis', out)}")


if __name__ == "__main__":
    main()
