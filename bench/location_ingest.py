"""Sustained ``PUT /location`` throughput with durable acknowledgement, against a naive baseline.

``python -m bench.location_ingest [--store postgres|embedded|both] [--seconds 20] [--rate 5000]
[--connections 64] [--paced-connections 256] [--workers 2]``

API (``uvicorn api.location.asgi:app --workers 2``, ``--app``/``--workers`` to change) and
load client (``simulation.location.replay``: asyncio protocol, keep-alive, connections open
before the clock) both run on this machine. Every point is distinct (1,000 users,
chronological per user), so every 200 is a stored point. Per store, three phases, each on a
fresh store and the same server command:

1. **naive**: ``LOCATION_WRITE_MODE=naive`` — one INSERT of the key + minute upsert + commit
   per request, in the threadpool (what a take-home would do); closed loop, ``--connections``.
2. **group, flat out**: group commit (the default); closed loop, same connections.
3. **group, paced**: group commit, open loop at ``--rate`` requests/s on a fixed schedule for
   ``--seconds`` over ``--paced-connections``: is the rate sustained, and what is the p99?
   Also reported: how late requests left against the schedule and the latency counted from
   the schedule (the stricter figure when connections ran short).

After each phase the store's accepted counter must equal the number of "stored" answers.
CPU seconds of the API processes, of PostgreSQL and of the client's send/receive loop are
reported per request (less noisy than rates on a shared machine), with the 1-minute load
average at the start and end of each phase. Writes ``bench/results/location_ingest.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.common import (
    ProcessGroup,
    free_port,
    machine_info,
    rule,
    write_result,
)
from simulation.location.replay import replay

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def bodies(n: int) -> list[bytes]:
    start = datetime(2017, 5, 1, 12, 0, 0)
    out = []
    for i in range(n):
        ts = (start + timedelta(seconds=i // 1000)).strftime("%Y-%m-%d %H:%M:%S")
        out.append(
            orjson.dumps(
                {
                    "timestamp": ts,
                    "lat": 40.70 + (i % 97) / 10_000,
                    "long": -73.92 + (i % 89) / 10_000,
                    "accuracy": 5 + (i % 13) / 7,
                    "speed": (i % 11) / 3,
                    "user_id": f"bench-{i % 1000}",
                }
            )
        )
    return out


def _proc_cpu(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / ticks


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


class Store:
    """A fresh store per phase: a new PostgreSQL database, or a new embedded data dir."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root = kind, root
        self.databases: list[str] = []

    def fresh(self) -> dict[str, str]:
        data = Path(tempfile.mkdtemp(dir=self.root))
        env = {"TRIBUTARY_DATA_DIR": str(data), "LOCATION_DB_URL": "", "LOCATION_API_KEYS": ""}
        if self.kind == "postgres":
            import psycopg

            name = f"tributary_bench_location_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{name}"')
            self.databases.append(name)
            env["LOCATION_DB_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
        return env

    def accepted(self, env: dict[str, str]) -> int:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            from tributary.location.store import open_store

            store = open_store()
            try:
                return store.state()["accepted"]
            finally:
                store.close()
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)

    def drop(self) -> None:
        if not self.databases:
            return
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            for name in self.databases:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def phase(
    store: Store, name: str, mode: str, payload: list[bytes], args, rate: float | None
) -> dict[str, Any]:
    env = {**os.environ, **store.fresh(), "LOCATION_WRITE_MODE": mode}
    port = free_port()
    log = store.root / f"{store.kind}-{name}.log"
    server = ProcessGroup(
        [
            *(sys.executable, "-m", "uvicorn", args.app, "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(args.workers), "--no-access-log"),
            *("--log-level", "warning"),
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base)
        # Warm-up (connections, migrations, imports), not counted.
        replay(base, payload[:200], connections=8)
        api_pids = _group_pids(server.pgid)
        pg_pids = _postgres_pids() if store.kind == "postgres" else []
        api0, pg0 = _proc_cpu(api_pids), _proc_cpu(pg_pids)
        load0 = _loadavg()
        result = replay(
            base,
            payload[200:],
            rate=rate,
            connections=args.connections if rate is None else args.paced_connections,
            duration=args.seconds,
        )
        api_cpu, pg_cpu = _proc_cpu(api_pids) - api0, _proc_cpu(pg_pids) - pg0
        client_cpu = result.cpu_seconds
        load1 = _loadavg()
    finally:
        server.stop(grace=10)
    summary = result.summary()
    n = max(1, summary["requests"])
    summary["cpu_us_per_request"] = {
        "api": round(api_cpu / n * 1e6, 1),
        "postgres": round(pg_cpu / n * 1e6, 1) if store.kind == "postgres" else None,
        "client": round(client_cpu / n * 1e6, 1),
    }
    stored = store.accepted({k: env[k] for k in ("TRIBUTARY_DATA_DIR", "LOCATION_DB_URL")})
    ok = summary["status_counts"].get("200", 0)
    summary["stored_in_store"] = stored
    summary["check_stored_equals_200s"] = stored - 200 == ok
    summary["target_rate"] = rate
    summary["load_average_1m"] = {"start": load0, "end": load1}
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["postgres", "embedded", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--paced-connections", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--app", default="api.location.asgi:app", help="the ASGI app uvicorn serves"
    )
    args = parser.parse_args()
    kinds = ["postgres", "embedded"] if args.store == "both" else [args.store]
    n = int(max(args.rate, 15_000) * args.seconds) + 1_000
    payload = bodies(n)
    results: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "stores": {}}
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-location-") as root:
        for kind in kinds:
            store = Store(kind, Path(root))
            try:
                out = {
                    "naive": phase(store, "naive", "naive", payload, args, None),
                    "group": phase(store, "group", "group", payload, args, None),
                    "group_paced": phase(store, "paced", "group", payload, args, args.rate),
                }
            finally:
                store.drop()
            naive_rate = out["naive"]["ok_per_second"] or 1
            out["speedup_vs_naive"] = round(out["group"]["ok_per_second"] / naive_rate, 2)
            paced = out["group_paced"]
            out["goal_met"] = {
                "sustained_rate": paced["ok_per_second"] >= 0.98 * args.rate,
                "p99_le_50ms": paced["latency_ms"]["p99"] <= 50,
                "p99_from_schedule_le_50ms": paced["latency_from_schedule_ms"]["p99"] <= 50,
                "speedup_ge_5x": out["speedup_vs_naive"] >= 5,
            }
            failed |= not all(
                p["check_stored_equals_200s"]
                for p in out.values()
                if isinstance(p, dict) and "requests" in p
            )
            results["stores"][kind] = out
            print(rule(f"location ingest: {kind}"))
            for label in ("naive", "group", "group_paced"):
                p = out[label]
                print(
                    f"  {label:12} {p['ok_per_second']:>9.1f} ok/s  p50 {p['latency_ms']['p50']:>7.2f} ms"
                    f"  p99 {p['latency_ms']['p99']:>7.2f} ms  statuses {p['status_counts']}"
                    f"  cpu µs/req {p['cpu_us_per_request']}  load {p['load_average_1m']}"
                )
                if "latency_from_schedule_ms" in p:
                    print(
                        f"  {'':12} from schedule: p50 {p['latency_from_schedule_ms']['p50']} ms"
                        f"  p99 {p['latency_from_schedule_ms']['p99']} ms"
                        f"  (send lag p99 {p['schedule_lag_ms']['p99']} ms)"
                    )
            print(
                f"  speed-up group / naive: {out['speedup_vs_naive']}x   goals: {out['goal_met']}"
            )
    path = write_result("location_ingest", results)
    print(f"\nwritten {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
