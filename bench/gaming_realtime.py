"""File landed → rows visible through the API, with the whole platform running, at 1M and 10M
events already loaded: the follow service beside the landing sensor in the same run.

``python -m bench.gaming_latency --platform [--sizes 1000000,10000000] [--files 30]
[--interval 1] [--sensor-files 10]``

For each size (ascending, the same data dir growing):

1. **Preload.** Generator files are added until ``size`` events have landed and loaded by
   ``python -m loaders.gaming`` (warehouse and real-time store; timed, the backlog path).
2. **Platform.** ``scripts/serve.sh`` (what ``make serve`` runs: Dagster with every domain's
   sensors and schedules, the API with 2 workers, the gaming follow service, the simulated
   ad-report provider) starts on free ports over the data dir, which also holds every other
   domain's sample input; while measuring, a thread lands a commerce, events, players or gaming
   generator file every ``--other-every`` s so other domains' runs keep taking the warehouse.
3. **Follow service.** ``--files`` two-line files land one every ``--interval`` s, each with a
   new user (``1.25`` + ``2.50``); a poller asks ``GET /gaming/revenue/<user>`` every
   ``--poll`` s until it answers ``3.75``. Latency = that answer minus the rename that landed the
   file. The service's own cost per file (read, validate, one store transaction) comes from
   its log.
4. **Sensor path.** The platform is started again with ``GAMING_FOLLOW_SERVICE=false``:
   ``gaming_landing_sensor`` loads the files, and ``--sensor-files`` files are measured the
   same way (with the same other domains' traffic).
5. **Verification.** The platform stops, one ``python -m loaders.gaming`` catches both sinks up,
   then the store and the warehouse must hold the same number of events per file manifest and
   the warehouse reconciliation must pass.

Prints a table per size and the ratio of the service's per-file cost at the largest size to the
smallest (goal ≤ 1.5), and writes ``bench/results/gaming_realtime.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    REPO,
    BenchDirs,
    ProcessGroup,
    free_port,
    machine_info,
    rule,
    run_command,
    summarize,
)
from simulation.gaming.generator import write_files

PY = sys.executable
SAMPLE = [
    [PY, "-m", "simulation.players"],
    [PY, "-m", "simulation.location", "sample"],
    [PY, "-m", "simulation.commerce"],
    [PY, "-m", "loaders.commerce.shop_db"],
    [PY, "-m", "simulation.events", "--events", "20000", "--hours", "6"],
]
PRELOAD_LINES_PER_FILE = 50_000
GOAL_P50, GOAL_P95, GOAL_COST_RATIO = 0.5, 1.0, 1.5
SERVED_LOG = re.compile(r"served: (\{.*\})")


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="1000000,10000000", help="events preloaded, ascending")
    p.add_argument("--other-every", type=float, default=5.0, help="other domains' files (s)")
    p.add_argument("--sensor-files", type=int, default=10, help="files for the sensor path")
    p.add_argument("--settle", type=float, default=20.0, help="after start, before measuring")


@dataclass
class Sample:
    user: str
    landed: float
    visible: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.visible is None else self.visible - self.landed


class Poller(threading.Thread):
    """Asks the API for each landed file's new user until it answers with the full total."""

    def __init__(self, base: str, poll: float) -> None:
        super().__init__(name="api-poller", daemon=True)
        self.base, self.poll = base, poll
        self.pending: list[Sample] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.errors = Counter()

    def watch(self, sample: Sample) -> None:
        with self.lock:
            self.pending.append(sample)

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=5) as http:
            while not self.halt.wait(self.poll):
                with self.lock:
                    waiting = [s for s in self.pending if s.visible is None]
                for s in waiting:
                    try:
                        r = http.get(f"/gaming/revenue/{s.user}")
                    except httpx.HTTPError as exc:
                        self.errors[type(exc).__name__] += 1
                        continue
                    if r.status_code == 200 and r.json()["total_spend"] == "3.75":
                        s.visible = time.monotonic()
                    elif r.status_code not in (200, 404):
                        self.errors[str(r.status_code)] += 1


def land_live(folder: Path, name: str, user: str) -> Sample:
    lines = [
        {"user": user, "timestamp": "2017-12-19 10:41:49", "spend": "1.25", "evtname": "iap"},
        {"user": user, "timestamp": "2017-12-19 10:42:00", "spend": "2.50", "evtname": "iap"},
    ]
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps(x) + "\n" for x in lines))
    tmp.replace(folder / name)
    return Sample(user, time.monotonic())


def measure(
    poller: Poller, folder: Path, tag: str, files: int, interval: float, timeout: float
) -> list[Sample]:
    samples = []
    start = time.monotonic()
    for k in range(files):
        delay = start + k * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sample = land_live(folder, f"live-{tag}-{k:04d}.json", f"live-{tag}-{k:04d}")
        poller.watch(sample)
        samples.append(sample)
    deadline = time.monotonic() + timeout
    while any(s.visible is None for s in samples) and time.monotonic() < deadline:
        time.sleep(0.1)
    return samples


def other_domains(every: float, halt: threading.Event, landed: Counter) -> None:
    """Other domains' new input (and some gaming backlog) every ``every`` s."""
    from bench.soak import land_files

    while not halt.is_set():
        land_files(every, time.monotonic() + every * 6 + 0.5, landed)


def wait_until(condition, timeout: float, what: str, group: ProcessGroup) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if not group.alive():
            raise RuntimeError(f"serve.sh exited:\n{group.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not within {timeout} s:\n{group.log_tail()}")
        time.sleep(0.2)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).json()["domains"]["gaming"]["published"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def store_costs(log: Path, tag: str) -> list[float]:
    """The follow service's own seconds per store load of this phase's files."""
    costs = []
    for line in log.read_text(errors="replace").splitlines():
        if (m := SERVED_LOG.search(line)) and f"live-{tag}-" in line and "-warm-" not in line:
            costs.append(json.loads(m.group(1))["seconds"])
    return costs


@dataclass
class Stage:
    events: int
    preload_seconds: float
    load_average: dict[str, list[float]] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)
    sensor: dict[str, Any] = field(default_factory=dict)
    service_cost_seconds: dict[str, float] = field(default_factory=dict)
    other_files_landed: dict[str, int] = field(default_factory=dict)
    poll_errors: dict[str, int] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)


def preload(dirs: BenchDirs, env: dict, have: int, want: int, index: int) -> tuple[int, float]:
    """Land generator files up to ``want`` events and load them; returns (next index, s)."""
    while have < want:
        lines = min(PRELOAD_LINES_PER_FILE, want - have)
        write_files(
            dirs.landing, files=1, lines_per_file=lines, players=200_000, seed=11, start_index=index
        )
        have += lines
        index += 1
    code, seconds = run_command([PY, "-m", "loaders.gaming"], env, dirs.logs / "preload.log", 3600)
    if code != 0:
        raise RuntimeError(f"preload failed: {(dirs.logs / 'preload.log').read_text()[-2000:]}")
    return index, round(seconds, 1)


def verify(dirs: BenchDirs, env: dict) -> dict[str, Any]:
    import sqlite3

    import duckdb

    code, _ = run_command([PY, "-m", "loaders.gaming"], env, dirs.logs / "catchup.log", 3600)
    store = sqlite3.connect(dirs.data_dir / "serving" / "gaming" / "realtime.sqlite")
    s_files, s_valid = store.execute("SELECT count(*), sum(valid_rows) FROM files").fetchone()
    s_events = store.execute("SELECT count(*) FROM user_events").fetchone()[0]
    store.close()
    con = duckdb.connect(str(dirs.data_dir / "warehouse.duckdb"), read_only=True)
    w_files, w_valid = con.execute(
        "SELECT count(*), sum(valid_rows) FROM gaming_raw.files"
    ).fetchone()
    con.close()
    from loaders.gaming.pipeline import reconcile
    from tributary import warehouse

    with warehouse.connect(read_only=True, timeout=120) as wcon:
        rec = reconcile(wcon)
    checks = {
        "catch-up exit 0": code == 0,
        "store events == store manifest": s_events == s_valid,
        "store == warehouse (files, valid rows)": (s_files, s_valid) == (w_files, w_valid),
        "warehouse reconciliation passed": rec.passed,
    }
    return {"store_events": s_events, "warehouse_valid": w_valid, "checks": checks}


@contextmanager
def platform(dirs: BenchDirs, env: dict, name: str, follow: bool) -> Iterator[str]:
    """``scripts/serve.sh`` on free ports (with or without the follow service), other domains'
    files landing meanwhile; yields the API's base URL once gaming is served."""
    ports = {
        k: str(free_port())
        for k in ("TRIBUTARY_DAGSTER_PORT", "TRIBUTARY_API_PORT", "TRIBUTARY_DOCS_PORT")
    }
    ports["ADREPORTS_SIM_PORT"] = str(free_port())
    env = {**env, **ports, "GAMING_FOLLOW_SERVICE": "true" if follow else "false"}
    base = f"http://127.0.0.1:{ports['TRIBUTARY_API_PORT']}"
    print(f"[{name}] starting scripts/serve.sh …", flush=True)
    group = ProcessGroup(["bash", "scripts/serve.sh"], env, dirs.logs / f"serve-{name}.log")
    try:
        wait_until(lambda: healthy(base), 300, "API", group)
        yield base
    finally:
        group.stop(grace=60)


def run_path(
    args, dirs: BenchDirs, env: dict, tag: str, follow: bool, files: int, stage: Stage
) -> dict[str, Any]:
    """One platform start; warm-up, settle, then ``files`` files measured through the API."""
    halt, landed = threading.Event(), Counter()
    name = f"{tag}-{'svc' if follow else 'sensor'}"
    with platform(dirs, env, name, follow) as base:
        poller = Poller(base, args.poll)
        others = threading.Thread(
            target=other_domains, args=(args.other_every, halt, landed), daemon=True
        )
        try:
            others.start()
            poller.start()
            warm = measure(poller, dirs.landing, f"{name}-warm", 1, 0, 180)
            print(
                f"[{name}] warm-up file visible after {warm[0].latency} s; settling …", flush=True
            )
            time.sleep(args.settle)
            stage.load_average[name] = list(os.getloadavg())
            print(f"[{name}] {files} files, one every {args.interval} s", flush=True)
            samples = measure(poller, dirs.landing, name, files, args.interval, 90)
        finally:
            halt.set()
            poller.halt.set()
    summary = summarize([s.latency for s in samples if s.latency is not None])
    summary["missing"] = sum(s.visible is None for s in samples)
    for domain, n in landed.items():
        stage.other_files_landed[domain] = stage.other_files_landed.get(domain, 0) + n
    for error, n in poller.errors.items():
        stage.poll_errors[error] = stage.poll_errors.get(error, 0) + n
    return summary


def run_stage(args, dirs: BenchDirs, env: dict, events: int, preload_s: float) -> Stage:
    stage = Stage(events, preload_s)
    tag = f"{events // 1_000_000}m"
    stage.service = run_path(args, dirs, env, tag, True, args.files, stage)
    follow_log = dirs.data_dir / "logs" / "gaming-follow.log"
    stage.service_cost_seconds = summarize(store_costs(follow_log, f"{tag}-svc"))
    stage.sensor = run_path(args, dirs, env, tag, False, args.sensor_files, stage)
    stage.verification = verify(dirs, env)
    return stage


def fmt(s: dict) -> str:
    if not s.get("n"):
        return "no samples"
    return f"p50 {s['p50']:.3f} s  p95 {s['p95']:.3f} s  max {s['max']:.3f} s  (n={s['n']})"


def run_platform(args: argparse.Namespace, dirs: BenchDirs, env: dict) -> dict[str, Any]:
    sizes = sorted(int(x) for x in args.sizes.split(","))
    for cmd in SAMPLE:
        code, _ = run_command(cmd, env, dirs.logs / "sample.log", 600)
        if code != 0:
            raise RuntimeError(f"{cmd} failed: {(dirs.logs / 'sample.log').read_text()[-2000:]}")
    stages, have, index = [], 0, 0
    for size in sizes:
        print(f"preloading to {size:,} events …", flush=True)
        index, seconds = preload(dirs, env, have, size, index)
        have = size
        stages.append(asdict(run_stage(args, dirs, env, size, seconds)))
        print_stage(stages[-1])
    costs = [s["service_cost_seconds"].get("p50") for s in stages]
    ratio = round(costs[-1] / costs[0], 2) if len(costs) > 1 and all(costs) else None
    result = {
        "benchmark": "gaming_realtime",
        "params": vars(args),
        "stages": stages,
        "cost_ratio_largest_over_smallest": ratio,
        "machine": machine_info(),
    }
    print(rule("per-file cost of the follow service"))
    print(f"  p50 at {sizes[-1]:,} / p50 at {sizes[0]:,} = {ratio} (goal ≤ {GOAL_COST_RATIO})")
    return result


def print_stage(s: dict) -> None:
    print(rule(f"{s['events']:,} events loaded (preload {s['preload_seconds']} s)"))
    la = {k.rsplit("-", 1)[-1]: [round(x, 1) for x in v] for k, v in s["load_average"].items()}
    print(
        f"  follow service  {fmt(s['service'])}  missing {s['service'].get('missing')}"
        f"  load avg {la.get('svc')}"
    )
    print(
        f"    its own work per file (read, validate, one transaction): "
        f"{fmt(s['service_cost_seconds'])}"
    )
    print(
        f"  landing sensor  {fmt(s['sensor'])}  missing {s['sensor'].get('missing')}"
        f"  load avg {la.get('sensor')}"
    )
    goal = s["service"].get("p50", 99) <= GOAL_P50 and s["service"].get("p95", 99) <= GOAL_P95
    print(f"  goal p50 ≤ {GOAL_P50} s, p95 ≤ {GOAL_P95} s: {'MET' if goal else 'NOT MET'}")
    print(
        f"  other domains' files landed meanwhile: {s['other_files_landed']}; "
        f"poll errors {s['poll_errors']}"
    )
    for check, ok in s["verification"]["checks"].items():
        print(f"  [{'ok' if ok else 'FAIL'}] {check}")


def passed(result: dict) -> bool:
    return all(
        all(st["verification"]["checks"].values()) and st["service"].get("missing") == 0
        for st in result["stages"]
    )


__all__ = ["REPO", "add_args", "passed", "run_platform"]
