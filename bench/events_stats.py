"""``python -m bench.events_stats [--users 1000000]``: GET /events/users/{user_id}/stats at
scale (scenario 3).

1. A throwaway warehouse gets ``events.user_days`` / ``events.users`` as dbt builds them, for
   ``--users`` users with 1-12 active days each in the last 90 (synthetic, skewed), and the
   real publisher (``loaders/events/serving.py``) writes the SQLite snapshot (timed, sized).
2. Baseline in the same run: the players design as it stands (a DuckDB snapshot, rows sorted
   by user + ART index, ``tributary/serving.py``) answering the same lookups in process,
   against the SQLite snapshot's lookup in process.
3. Over HTTP: ``uvicorn api.main:app --workers 2``, answers checked against the warehouse for
   200 users, then an open-loop phase paced at ``--rate`` (p99, also counted from the
   schedule) and a closed-loop saturated phase (requests/s), random users and N in {7, 30,
   90}, with the load client on the same two cores: ``simulation.location.replay`` paces the
   open loop; the saturated phase uses ``wrk`` when it is on PATH (a C client: ~10x less CPU
   per request than the Python one, so the API gets the cores; ``--client python`` forces the
   Python client). The client's CPU per request is reported apart from the API's.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import date, timedelta
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
from simulation.location.replay import replay

TODAY = date(2024, 6, 30)
EPOCH = date(1970, 1, 1)
DAYS = (7, 30, 90)


def build_marts(users: int) -> dict:
    """``events.user_days`` and ``events.users`` with the marts' columns, in the warehouse."""
    from tributary.warehouse import connect

    last = (TODAY - EPOCH).days
    with connect() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS events")
        con.execute(
            f"""
            CREATE OR REPLACE TABLE events.users AS
            SELECT md5('user-' || u) AS user_id, DATE '2024-01-01' AS first_seen_date,
                   now() AS lake_committed_through
            FROM range({users}) AS r(u)
            """
        )
        # 1-12 active days per user (most users few), spread over the last 120 days.
        con.execute(
            f"""
            CREATE OR REPLACE TABLE events.user_days AS
            WITH slots AS (
                SELECT u, k FROM range({users}) AS r(u),
                LATERAL (SELECT unnest(range(1 + (hash(u, 'n') % 12)::INTEGER)) AS k)
            )
            SELECT md5('user-' || u) AS user_id,
                   DATE '1970-01-01' + ({last} - (hash(u, k) % 120)::INTEGER) AS event_date,
                   max((hash(u, k, 'c') % 4)::BIGINT) AS products_contacted,
                   max((hash(u, k, 'f') % 6)::BIGINT) AS favourited,
                   max((hash(u, k, 's') % 2)::BIGINT) AS products_sold,
                   now() AS lake_committed_through, now() AS refreshed_at
            FROM slots GROUP BY ALL
            """
        )
        n_days = con.execute("SELECT count(*) FROM events.user_days").fetchone()[0]
    return {"users": users, "user_day_rows": n_days}


def expected_totals(user_ids: list[str], days: int) -> dict[str, tuple[int, int, int]]:
    from tributary.warehouse import connect

    first = TODAY - timedelta(days=days - 1)
    with connect(read_only=True, lock=False) as con:
        rows = con.execute(
            "SELECT user_id, sum(products_contacted), sum(favourited), sum(products_sold) "
            "FROM events.user_days WHERE user_id IN (SELECT unnest($u)) "
            "AND event_date BETWEEN $a AND $b GROUP BY user_id",
            {"u": user_ids, "a": first, "b": TODAY},
        ).fetchall()
    got = {r[0]: tuple(int(x) for x in r[1:]) for r in rows}
    return {u: got.get(u, (0, 0, 0)) for u in user_ids}


def in_process(snapshot: Path, duck_snapshot: Path, user_ids: list[str]) -> dict:
    """The same lookups (N = 30) in process: SQLite snapshot vs the players-style DuckDB one."""
    from api.routers.events import STATS_SQL
    from tributary import duck

    last = (TODAY - EPOCH).days
    lite = sqlite3.connect(f"file:{snapshot}?mode=ro&immutable=1", uri=True)
    ddb = duck.connect(duck_snapshot, read_only=True)
    duck_sql = (
        "SELECT day, products_contacted, favourited, products_sold FROM events.user_days "
        "WHERE user_id = $1 AND day BETWEEN $2 AND $3"
    )
    out = {}
    for name, run in (
        ("sqlite", lambda u: lite.execute(STATS_SQL, (u, last - 29, last)).fetchall()),
        ("duckdb_art", lambda u: ddb.execute(duck_sql, [u, last - 29, last]).fetchall()),
    ):
        for u in user_ids[:200]:
            run(u)
        samples = []
        for u in user_ids:
            t = time.perf_counter()
            run(u)
            samples.append(time.perf_counter() - t)
        out[name] = {
            "p50_ms": round(percentile(samples, 50) * 1000, 4),
            "p99_ms": round(percentile(samples, 99) * 1000, 4),
        }
    lite.close()
    ddb.close()
    out["ratio_p50"] = round(out["duckdb_art"]["p50_ms"] / out["sqlite"]["p50_ms"], 1)
    return out


def requests(host: str, user_ids: list[str], n: int) -> list[bytes]:
    rng = random.Random(7)
    return [
        (
            f"GET /events/users/{rng.choice(user_ids)}/stats?days={DAYS[i % 3]} HTTP/1.1\r\n"
            f"Host: {host}\r\n\r\n"
        ).encode()
        for i in range(n)
    ]


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the group (the uvicorn workers)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def phase(server: ProcessGroup, base: str, reqs: list[bytes], **kwargs) -> dict:
    load0, cpu0 = loadavg(), group_cpu_seconds(server.pgid)
    result = replay(base, [], raw_requests=reqs, **kwargs)
    cpu = group_cpu_seconds(server.pgid) - cpu0
    out = result.summary()
    n = max(1, len(result.statuses))
    out["cpu_us_per_request"] = {
        "api": round(cpu / n * 1e6, 1),
        "client": round(result.cpu_seconds / n * 1e6, 1),
    }
    out["load_average_1m"] = [load0, loadavg()]
    return out


def wrk_phase(server: ProcessGroup, base: str, user_ids: list[str], args, logs: Path) -> dict:
    """Closed loop with ``wrk`` (one thread, ``--connections``): random users, N cycling."""
    rng = random.Random(7)
    script = logs / "stats_paths.lua"
    paths = [
        f'"/events/users/{rng.choice(user_ids)}/stats?days={DAYS[i % 3]}"' for i in range(20_000)
    ]
    script.write_text(
        "local paths = {" + ",\n".join(paths) + "}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    load0, cpu0 = loadavg(), group_cpu_seconds(server.pgid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            *("wrk", "-t1", f"-c{args.connections}", f"-d{int(args.seconds)}s", "--latency"),
            *("-s", str(script), base),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = group_cpu_seconds(server.pgid) - cpu0
    client = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    n = int(re.search(r"(\d+) requests in", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)

    return {
        "client": "wrk",
        "requests": n,
        "status_counts": {"200": n - int(bad[1]) if bad else n, "other": int(bad[1]) if bad else 0},
        "socket_errors": errors[1] if errors else None,
        "answered_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "latency_ms": {"p50": ms("50"), "p90": ms("90"), "p99": ms("99")},
        "cpu_us_per_request": {
            "api": round(cpu / max(n, 1) * 1e6, 1),
            "client": round(client / max(n, 1) * 1e6, 1),
        },
        "load_average_1m": [load0, loadavg()],
    }


def http_phases(env: dict, logs: Path, user_ids: list[str], args) -> dict:
    port = free_port()
    server = ProcessGroup(
        [
            *("uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(args.workers), "--no-access-log", "--log-level", "warning"),
        ],
        {
            **env,
            "EVENTS_STATS_TODAY": TODAY.isoformat(),
            "API_ACCESS_LOG": "true" if args.access_log == "on" else "false",
        },
        logs / "uvicorn.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base)
        # Correctness first: 200 users' totals against the warehouse.
        check = random.Random(3).sample(user_ids, 200)
        want = expected_totals(check, 30)
        wrong = 0
        with httpx.Client(base_url=base) as http:
            for u in check:
                t = http.get(f"/events/users/{u}/stats", params={"days": 30}).json()["totals"]
                got = (t["products_contacted"], t["favourited"], t["products_sold"])
                wrong += got != want[u]
            unknown = http.get("/events/users/nobody/stats").status_code
        host = f"127.0.0.1:{port}"
        replay(base, [], raw_requests=requests(host, user_ids, 2000), connections=16)  # warm-up
        out = {"answers_checked": len(check), "answers_wrong": wrong, "unknown_status": unknown}
        out["paced"] = phase(
            server,
            base,
            requests(host, user_ids, int(args.rate * args.seconds)),
            rate=args.rate,
            connections=64,
        )
        if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")):
            out["saturated"] = wrk_phase(server, base, user_ids, args, logs)
        else:
            out["saturated"] = phase(
                server,
                base,
                requests(host, user_ids, 200_000),
                connections=args.connections,
                duration=args.seconds,
            )
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32, help="closed-loop phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="saturated phase's client (auto: wrk if on PATH)",
    )
    parser.add_argument(
        "--access-log", choices=["on", "off"], default="on", help="the API's JSON access log"
    )
    args = parser.parse_args()
    result: dict = {"machine": machine_info(), "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="bench-events-stats-") as root:
        dirs = make_dirs(Path(root))
        env = point_at(dirs)
        t = time.perf_counter()
        result["marts"] = build_marts(args.users)
        result["marts"]["seconds"] = round(time.perf_counter() - t, 1)

        from loaders.events.serving import publish_serving
        from tributary import serving
        from tributary.warehouse import connect

        t = time.perf_counter()
        snapshot = publish_serving()
        publish_s = time.perf_counter() - t
        assert snapshot is not None
        t = time.perf_counter()
        with connect() as con:
            duck_snapshot = serving.publish(
                "events_duckdb_baseline",
                [
                    serving.ServedTable(
                        "events",
                        "user_days",
                        "SELECT user_id, (event_date - DATE '1970-01-01')::INTEGER AS day, "
                        "products_contacted, favourited, products_sold FROM events.user_days",
                        "user_id, day",
                        "user_id",
                    )
                ],
                con,
            )
        duck_s = time.perf_counter() - t
        result["snapshot"] = {
            "sqlite_publish_seconds": round(publish_s, 1),
            "sqlite_mb": round(snapshot.stat().st_size / 1e6, 1),
            "duckdb_art_publish_seconds": round(duck_s, 1),
            "duckdb_art_mb": round(duck_snapshot.stat().st_size / 1e6, 1),
        }
        with connect(read_only=True, lock=False) as con:
            user_ids = [r[0] for r in con.execute("SELECT user_id FROM events.users").fetchall()]
        sample = random.Random(5).sample(user_ids, 5000)
        result["in_process"] = in_process(snapshot, duck_snapshot, sample)
        result["http"] = http_phases(env, dirs.logs, user_ids, args)
    write_result("events_stats", result)
    print_report(result)


def print_report(r: dict) -> None:
    s, ip, h = r["snapshot"], r["in_process"], r["http"]
    print(rule("events stats (scenario 3)"))
    print(f"users {r['marts']['users']:,}, user-day rows {r['marts']['user_day_rows']:,}")
    print(
        f"snapshot: SQLite {s['sqlite_mb']} MB in {s['sqlite_publish_seconds']} s; "
        f"DuckDB+ART baseline {s['duckdb_art_mb']} MB in {s['duckdb_art_publish_seconds']} s"
    )
    print(
        f"in process, one user's 30 days: SQLite p50 {ip['sqlite']['p50_ms']} ms "
        f"p99 {ip['sqlite']['p99_ms']} ms | DuckDB+ART p50 {ip['duckdb_art']['p50_ms']} ms "
        f"p99 {ip['duckdb_art']['p99_ms']} ms | ratio {ip['ratio_p50']}x"
    )
    print(
        f"answers: {h['answers_checked']} checked, {h['answers_wrong']} wrong; "
        f"unknown user -> {h['unknown_status']}"
    )
    for name in ("paced", "saturated"):
        p = h[name]
        line = (
            f"HTTP {name}: {p['answered_per_second']} req/s, statuses {p['status_counts']}, "
            f"p50 {p['latency_ms']['p50']} ms, p99 {p['latency_ms']['p99']} ms"
        )
        if "client" in p:
            line += f" (client {p['client']})"
        if "latency_from_schedule_ms" in p:
            line += f", p99 from schedule {p['latency_from_schedule_ms']['p99']} ms"
        cpu = p["cpu_us_per_request"]
        print(
            line + f", CPU/request API {cpu['api']} us client {cpu['client']} us, "
            f"load average {p['load_average_1m']}"
        )


if __name__ == "__main__":
    main()
