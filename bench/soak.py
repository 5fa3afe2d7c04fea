"""Soak: the whole platform under mixed traffic for a long while; is anything failing or growing?

``python -m bench.soak [--seconds 600] [--location-rate 2000] [--reads 100] [--land-every 5]``

A throwaway data dir gets every domain's sample data and one ``materialize_all``; then the
simulated ad-report provider, the API (``uvicorn api.main:app --workers 2``) and ``dagster dev``
(sensors and schedules live, location refreshed every minute) start on free ports. For
``--seconds``: ``PUT /location`` paced at ``--location-rate`` (distinct points, open loop),
``--reads`` GETs per second round-robin over every domain's read endpoints (ids taken from the
warehouse), and new gaming, commerce, events and players files landing every ``--land-every``
seconds so the sensors keep refreshing their domains. Reported: requests and statuses, p50/p99
per route, Dagster runs by status (each failed run with its failing step and error), and the
RSS of every process sampled every 15 s (``bench.processes``): each long-lived service
(API supervisor and workers, webserver, daemon, code server, provider) at the start, middle and
end with its growth over each half (flat memory is the goal; the first half includes warm-up),
and the short-lived run workers apart. Not a CI test: it takes the machine for the whole run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson

from bench.common import (
    ProcessGroup,
    ensure_manifest,
    free_port,
    machine_info,
    make_dirs,
    percentile,
    point_at,
    rule,
    run_command,
    write_result,
)
from bench.processes import RssSampler, print_rss
from simulation.location.replay import replay

PY = sys.executable
SAMPLE = [
    [PY, "-m", "simulation.gaming"],
    [PY, "-m", "simulation.players"],
    [PY, "-m", "simulation.location", "sample"],
    [PY, "-m", "simulation.commerce"],
    [PY, "-m", "loaders.commerce.shop_db"],
    [PY, "-m", "simulation.events", "--events", "20000", "--hours", "6"],
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--location-rate", type=float, default=2000, help="PUT /location per second")
    p.add_argument("--reads", type=float, default=100, help="GETs per second over all domains")
    p.add_argument("--land-every", type=float, default=5, help="seconds between landed files")
    return p.parse_args(argv)


def read_urls() -> list[tuple[str, str]]:
    """(route, path) pairs with ids and ranges that exist in the materialised warehouse."""
    from tributary import warehouse

    with warehouse.connect(read_only=True) as con:
        gamers = [
            r[0] for r in con.execute('SELECT "user" FROM gaming.revenue LIMIT 20').fetchall()
        ]
        players = [
            r[0]
            for r in con.execute(
                "SELECT user_id FROM players.registration_data LIMIT 20"
            ).fetchall()
        ]
        lo, hi = con.execute(
            "SELECT min(minute_at), max(minute_at) FROM commerce.ctr_minute"
        ).fetchone()
        day = con.execute("SELECT max(report_date) FROM adreports.daily_revenue").fetchone()[0]
    span = f"startTimestamp={lo:%Y-%m-%d %H:%M:%S}&endTimestamp={hi:%Y-%m-%d %H:%M:%S}"
    urls = [
        ("/health", "/health"),
        (
            "/adreports/revenue",
            f"/adreports/revenue?start={day - timedelta(days=6)}&end={day}",
        ),
    ]
    urls += [("/gaming/revenue/{user}", f"/gaming/revenue/{u}") for u in gamers]
    urls += [("/gaming/users/{user}/events", f"/gaming/users/{u}/events?limit=20") for u in gamers]
    urls += [("/api/user-stats", f"/api/user-stats?user_id={u}") for u in players]
    urls += [("/api/game-stats", "/api/game-stats")]
    urls += [("/ctr", f"/ctr?{span}&aggregation={m}") for m in (1, 60, 1440)]
    urls += [
        (
            "/location/{user_id}/minutes",
            f"/location/soak-{i}/minutes?start=2017-05-01 00:00:00&end=2017-05-02 00:00:00",
        )
        for i in range(10)
    ]
    return urls


class Samples:
    """(route → statuses, latencies) from every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def add(self, route: str, statuses: list[int], latencies: list[float]) -> None:
        with self.lock:
            self.statuses[route].update(statuses)
            self.latencies[route].extend(latencies)

    def report(self) -> dict[str, dict]:
        return {
            route: {
                "requests": sum(self.statuses[route].values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses[route].items())},
                "p50_ms": round(percentile(self.latencies[route], 50) * 1000, 2),
                "p99_ms": round(percentile(self.latencies[route], 99) * 1000, 2),
            }
            for route in sorted(self.statuses)
        }


def location_traffic(url: str, rate: float, until: float, samples: Samples) -> None:
    """Paced PUT /location in 30-second rounds, every point distinct (a new minute each round)."""
    start = datetime(2017, 5, 1, 0, 0, 0)
    for round_ in itertools.count():
        seconds = min(30.0, until - time.monotonic())
        if seconds < 1:
            return
        ts = (start + timedelta(minutes=round_)).strftime("%Y-%m-%d %H:%M")
        n = int(rate * seconds)
        bodies = [
            orjson.dumps(
                {
                    "timestamp": f"{ts}:{i * 60 // n:02d}",
                    "lat": 40.7 + (i % 97) / 1e4,
                    "long": -73.9 + (i % 89) / 1e4,
                    "accuracy": 5.0,
                    "speed": 1.5,
                    "user_id": f"soak-{i % 2000}",
                }
            )
            for i in range(n)
        ]
        result = replay(url, bodies, rate=rate, connections=128)
        samples.add("PUT /location", result.statuses, result.latencies)


def read_traffic(base: str, urls: list, rate: float, until: float, samples: Samples) -> None:
    urls = itertools.cycle(urls)
    with httpx.Client(base_url=base, timeout=10) as client:
        due = time.monotonic()
        while due < until and time.monotonic() < until:  # behind schedule: stop on time
            route, path = next(urls)
            time.sleep(max(0.0, due - time.monotonic()))
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError:
                status = 0
            samples.add(f"GET {route}", [status], [time.perf_counter() - started])
            due += 1 / rate


def land_files(every: float, until: float, landed: Counter) -> None:
    """One domain's new input every ``every`` s, round-robin: the sensors pick them up."""
    from loaders.commerce.settings import CommerceSettings
    from loaders.events.settings import EventsSettings
    from loaders.gaming.settings import GamingSettings
    from loaders.players.settings import PlayersSettings
    from simulation.commerce.generator import write_views
    from simulation.events.generator import write_events
    from simulation.gaming.generator import write_files
    from simulation.players.generator import generate, write_season

    players = PlayersSettings()
    for k in itertools.count(1):
        if time.monotonic() + every > until:
            return
        time.sleep(every)
        domain = ("gaming", "commerce", "gaming", "events", "gaming", "players")[k % 6]
        if domain == "gaming":
            write_files(Path(GamingSettings().events_url), files=1, start_index=1000 + k)
        elif domain == "commerce":
            day = (datetime(2016, 2, 1) + timedelta(days=k)).strftime("%Y-%m-%d")
            views = Path(CommerceSettings().views_url).parent  # write_views adds views/
            write_views(views, views=2000, days=1, start=day, seed=k)
        elif domain == "events":
            write_events(Path(EventsSettings().url), 2000, 1, 1000 + k, hours=1)
        else:
            season = generate(users=200, seed=100 + k)
            write_season(season, Path(players.events_url), Path(players.timezones_url))
        landed[domain] += 1


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up within {seconds} s")


def dagster_runs() -> dict[str, object]:
    """Runs by status and by job, and for each failed run its job, failing steps and errors
    (the data dir goes when the run ends)."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        runs = instance.get_runs()
        failed = []
        for r in runs:
            if r.status.value != "FAILURE":
                continue
            records = instance.all_logs(
                r.run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
            )
            errors = []
            for record in records:
                event = record.dagster_event
                error = getattr(event.event_specific_data, "error", None) if event else None
                message = error.message.strip() if error else record.message
                errors.append({"step": event.step_key if event else None, "error": message[:500]})
            failed.append({"run_id": r.run_id, "job": r.job_name, "errors": errors})
    by_job: dict[str, Counter] = defaultdict(Counter)
    for r in runs:
        by_job[r.job_name][r.status.value] += 1
    return {
        "by_status": dict(Counter(r.status.value for r in runs)),
        "by_job": {job: dict(c) for job, c in sorted(by_job.items())},
        "failed": failed,
    }


def run(args: argparse.Namespace, root: Path, groups: dict[str, ProcessGroup]) -> dict:
    dirs = make_dirs(root)
    env = point_at(dirs)
    ensure_manifest(env)
    env["LOCATION_REFRESH_CRON"] = os.environ["LOCATION_REFRESH_CRON"] = "* * * * *"
    print(f"soak: data dir {dirs.data_dir}; sample data + materialize_all …", flush=True)
    for cmd in [*SAMPLE, [PY, "-m", "orchestration.materialize_all"]]:
        code, _ = run_command(cmd, env, dirs.logs / "setup.log", 900)
        if code != 0:
            tail = (dirs.logs / "setup.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{cmd} failed (exit {code}):\n{tail}")
    urls = read_urls()  # before anything else writes the warehouse
    ports = {name: free_port() for name in ("provider", "api", "dagster")}
    env["ADREPORTS_API_URL"] = f"http://127.0.0.1:{ports['provider']}"
    env.setdefault("ADREPORTS_API_TOKEN", "sim-refresh-token")
    commands = {
        "provider": [
            PY,
            "-m",
            "simulation.adreports",
            "--port",
            str(ports["provider"]),
            "--profile",
            "mild",
        ],
        "api": [PY, "-m", "uvicorn", "api.main:app", "--port", str(ports["api"]), "--workers", "2"],
        "dagster": [
            PY,
            "-m",
            "dagster",
            "dev",
            "-m",
            "orchestration.definitions",
            "-p",
            str(ports["dagster"]),
        ],
    }
    for name, cmd in commands.items():
        groups[name] = ProcessGroup(cmd, env, dirs.logs / f"{name}.log")
    base = f"http://127.0.0.1:{ports['api']}"
    wait_http(f"{base}/health", 120)
    wait_http(f"http://127.0.0.1:{ports['dagster']}/server_info", 900)  # a loaded machine
    sampler = RssSampler(groups, every=15).start()
    print(f"soak: up; {args.seconds:.0f} s of traffic", flush=True)
    samples, landed = Samples(), Counter()
    until = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=location_traffic, args=(base, args.location_rate, until, samples)),
        threading.Thread(target=read_traffic, args=(base, urls, args.reads, until, samples)),
        threading.Thread(target=land_files, args=(args.land_every, until, landed)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sampler.stop()
    return {
        "machine": machine_info(),
        "args": vars(args),
        "routes": samples.report(),
        "files_landed": dict(landed),
        "dagster_runs": dagster_runs(),
        "rss": sampler.report(),
    }


def print_report(r: dict) -> None:
    print(rule(f"soak: {r['args']['seconds']:.0f} s, load {r['machine']['loadavg']}"))
    print(f"{'route':<36} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for route, s in r["routes"].items():
        print(f"{route:<36} {s['requests']:>9,} {s['p50_ms']:>8} {s['p99_ms']:>8}  {s['statuses']}")
    runs = r["dagster_runs"]
    print(f"files landed {r['files_landed']}; Dagster runs {runs['by_status']}")
    for job, statuses in runs["by_job"].items():
        print(f"  {job:<34} {statuses}")
    for f in runs["failed"]:
        for e in f["errors"] or [{"step": None, "error": "(no failure event)"}]:
            print(f"  FAILED {f['job']} {f['run_id'][:8]} step {e['step']}: {e['error'][:300]}")
    print_rss(r["rss"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    groups: dict[str, ProcessGroup] = {}
    root = Path(tempfile.mkdtemp(prefix="tributary-soak-"))
    try:
        result = run(args, root, groups)
    finally:
        for g in groups.values():
            g.stop()
    shutil.rmtree(root)  # kept, with its logs, when the run failed
    print_report(result)
    print(f"result: {write_result('soak', result)}")
    errors = sum(
        n for s in result["routes"].values() for k, n in s["statuses"].items() if k[0] != "2"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
