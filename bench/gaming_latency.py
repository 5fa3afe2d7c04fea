"""Latency from a game-event file landing to its rows being served, at a steady arrival rate.

``python -m bench.gaming_latency [--files 30 --interval 2 --lines 200 --baseline-files 3]``

``python -m bench.gaming_latency --platform --interval 1 [--sizes 1000000,10000000]``: the
real-time path (follow service) beside the landing sensor under ``scripts/serve.sh`` at 1M and
10M events, measured through the API (see :mod:`bench.gaming_realtime`). Without
``--platform``, the original measurement:

1. A throwaway data dir gets a few initial files and one ``python -m orchestration.materialize_all``
   so the warehouse, the gaming marts (views) and the serving snapshot exist.
2. ``dagster dev`` starts in its own process group; its daemon evaluates
   ``gaming_landing_sensor``. One warm-up file is landed and waited for (not counted).
3. ``--files`` files land one every ``--interval`` s (atomically: tmp file + rename). A poller
   thread watches the served snapshot (``serving/gaming/CURRENT``) every ``--poll`` s and
   records when each file's rows first appear in ``gaming.user_events`` (published atomically with
   ``gaming.revenue``). Latency = first seen - landed.
4. Baseline: ``dagster dev`` is stopped and ``--baseline-files`` files are landed one at a time,
   each followed by a one-off ``gaming_refresh`` run in a new process
   (``dagster job execute -m orchestration.definitions -j gaming_refresh``): the conventional
   Dagster path.
5. The served ``gaming.revenue`` is compared with a plain-Python reading of every file landed,
   and the warehouse reconciliation is checked.

Prints a report and writes ``bench/results/gaming_latency.json``. Every wait is bounded and a
global ``--time-cap`` stops everything; child process groups are always killed.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bench import gaming_realtime
from bench.common import (
    VENV_BIN,
    BenchDirs,
    BenchTimeout,
    Deadline,
    ProcessGroup,
    clear_time_cap,
    ensure_manifest,
    free_port,
    install_time_cap,
    machine_info,
    make_dirs,
    point_at,
    rule,
    run_command,
    summarize,
    write_result,
)
from bench.oracle import expected_from_files
from simulation.gaming.generator import write_files
from tributary.serving import SnapshotMissing, SnapshotReader, current_version

NAME = "gaming_latency"
GOAL_P95_SECONDS = 10.0
SENSOR_NAME = "gaming_landing_sensor"
MATERIALIZE_ALL = [sys.executable, "-m", "orchestration.materialize_all"]
# Only the gaming job, so that other domains' jobs in materialize_all do not count.
GAMING_REFRESH = [
    *(str(VENV_BIN / "dagster"), "job", "execute"),
    *("-m", "orchestration.definitions", "-j", "gaming_refresh"),
]
CODE_LOCATION_ERROR = "Error loading repository location"
VISIBLE_QUERY = "SELECT source_file, count(*) FROM gaming.user_events GROUP BY source_file"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--files", type=int, default=30, help="files landed for the sensor path")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between two files")
    p.add_argument("--lines", type=int, default=200, help="lines per file")
    p.add_argument("--initial-files", type=int, default=5, help="files before the first run")
    p.add_argument("--baseline-files", type=int, default=3, help="files for the run baseline")
    p.add_argument("--poll", type=float, default=0.05, help="snapshot poll interval (s)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--startup-timeout", type=float, default=240, help="dagster dev + warm-up")
    p.add_argument("--drain-timeout", type=float, default=120, help="after the last file")
    p.add_argument("--run-timeout", type=float, default=300, help="one job run (setup, baseline)")
    p.add_argument("--time-cap", type=int, default=900, help="global cap for the whole script")
    p.add_argument("--keep", action="store_true", help="keep the temp data dir")
    p.add_argument("--platform", action="store_true", help="follow service vs sensor, API")
    gaming_realtime.add_args(p)
    args = p.parse_args(argv)
    if min(args.files, args.lines) < 1 or args.interval < 0 or args.poll <= 0:
        p.error("--files and --lines must be at least 1, --interval >= 0, --poll > 0")
    return args


# ---------------------------------------------------------------------------- landing files


@dataclass
class Arrival:
    """One landed file and when it became visible (monotonic seconds)."""

    name: str
    lines: int
    valid: int
    landed: float
    landed_wall: float  # time.time(), to line up with Dagster's tick timestamps
    visible: float | None = None
    rows_seen: int | None = None

    @property
    def latency(self) -> float | None:
        return None if self.visible is None else self.visible - self.landed


@dataclass
class Lander:
    """Writes numbered generator files (``NNNN.json``) and keeps count of what it wrote."""

    landing: Path
    lines: int
    seed: int
    next_index: int = 0
    lines_written: int = 0
    valid_written: int = 0

    def land(self) -> Arrival:
        index = self.next_index
        self.next_index += 1
        generated = write_files(
            self.landing, files=1, lines_per_file=self.lines, seed=self.seed, start_index=index
        )
        landed, landed_wall = time.monotonic(), time.time()  # the rename is write_files' last step
        valid = generated.lines - generated.defective_lines
        self.lines_written += generated.lines
        self.valid_written += valid
        return Arrival(f"{index:04d}.json", generated.lines, valid, landed, landed_wall)


# ---------------------------------------------------------------------------- watching


class SnapshotWatcher(threading.Thread):
    """Polls the serving snapshot; records when each file's rows first appear.

    Each poll reads the domain's ``CURRENT`` pointer (one small file); only a newly published
    version is queried. The time recorded is that of the poll that saw the new version.
    """

    def __init__(self, poll: float) -> None:
        super().__init__(name="snapshot-watcher", daemon=True)
        self.poll = poll
        self.publishes: list[float] = []
        self.errors = 0
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, int]] = {}

    def run(self) -> None:
        reader = SnapshotReader("gaming")
        version: Path | None = None
        while not self._halt.wait(self.poll):
            current = current_version("gaming")
            now = time.monotonic()
            if current is None or current == version:
                continue
            try:
                cur = reader.cursor()
                try:
                    rows = cur.execute(VISIBLE_QUERY).fetchall()
                finally:
                    cur.close()
            except (duckdb.Error, SnapshotMissing):
                self.errors += 1
                continue
            version = current
            with self._lock:
                self.publishes.append(now)
                for source_file, count in rows:
                    self._seen.setdefault(source_file.rsplit("/", 1)[-1], (now, count))

    def seen(self, name: str) -> tuple[float, int] | None:
        with self._lock:
            return self._seen.get(name)

    def publishes_between(self, start: float, end: float) -> list[float]:
        with self._lock:
            return [t for t in self.publishes if start <= t <= end]

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def wait_visible(
    arrivals: list[Arrival],
    watcher: SnapshotWatcher,
    timeout: float,
    group: ProcessGroup | None = None,
) -> bool:
    """Fill in ``visible`` for each arrival; False if some are still missing at the timeout."""
    deadline = Deadline.after(timeout)
    next_log_check = time.monotonic() + 1
    while True:
        for arrival in arrivals:
            if arrival.visible is None and (seen := watcher.seen(arrival.name)):
                arrival.visible, arrival.rows_seen = seen
        if all(a.visible is not None for a in arrivals):
            return True
        if deadline.expired:
            return False
        if group is not None:
            check_log = time.monotonic() >= next_log_check
            check_dagster(group, check_log)
            if check_log:
                next_log_check = time.monotonic() + 1
        time.sleep(0.05)


def check_dagster(group: ProcessGroup, check_log: bool = True) -> None:
    """Fail fast if ``dagster dev`` died or could not load the code location."""
    if not group.alive():
        raise RuntimeError(f"dagster dev exited early:\n{group.log_tail()}")
    if check_log and group.log_contains(CODE_LOCATION_ERROR):
        raise RuntimeError(f"dagster dev could not load the code location:\n{group.log_tail()}")


# ---------------------------------------------------------------------------- phases


@dataclass
class Setup:
    initial_files: int
    materialize_seconds: float


def run_setup(args: argparse.Namespace, lander: Lander, dirs: BenchDirs, env: dict) -> Setup:
    """Initial files and one materialize_all, so marts and snapshot exist."""
    for _ in range(args.initial_files):
        lander.land()
    print(f"setup: {args.initial_files} initial files; running materialize_all …", flush=True)
    code, seconds = run_command(
        MATERIALIZE_ALL, env, dirs.logs / "materialize_setup.log", args.run_timeout
    )
    if code != 0:
        log = (dirs.logs / "materialize_setup.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"setup materialize_all failed (exit {code}):\n{log}")
    return Setup(args.initial_files, round(seconds, 2))


@dataclass
class SensorPhase:
    ready_seconds: float
    warmup_latency: float | None
    arrivals: list[Arrival]
    window_wall: tuple[float, float]  # wall-clock start/end, to select Dagster ticks
    publishes: list[float]


def start_dagster_dev(env: dict, dirs: BenchDirs) -> ProcessGroup:
    port = free_port()
    cmd = [str(VENV_BIN / "dagster"), "dev", "-m", "orchestration.definitions"]
    cmd += ["-h", "127.0.0.1", "-p", str(port)]
    print(f"sensor path: starting `dagster dev` on port {port} …", flush=True)
    return ProcessGroup(cmd, env, dirs.logs / "dagster_dev.log")


def land_steadily(args: argparse.Namespace, lander: Lander, group: ProcessGroup) -> list[Arrival]:
    """``args.files`` files, the k-th at start + k·interval (no drift from write time)."""
    arrivals = []
    start = time.monotonic()
    for k in range(args.files):
        delay = start + k * args.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        check_dagster(group, check_log=False)
        arrivals.append(lander.land())
    return arrivals


def run_sensor_phase(
    args: argparse.Namespace,
    lander: Lander,
    dirs: BenchDirs,
    env: dict,
    watcher: SnapshotWatcher,
    groups: list[ProcessGroup],
) -> SensorPhase:
    started = time.monotonic()
    group = start_dagster_dev(env, dirs)
    groups.append(group)
    try:
        warmup = lander.land()
        if not wait_visible([warmup], watcher, args.startup_timeout, group):
            raise RuntimeError(
                f"warm-up file not visible within {args.startup_timeout} s; "
                f"dagster dev log {group.log_path}:\n{group.log_tail()}"
            )
        ready = time.monotonic() - started
        print(f"sensor path: ticking after {ready:.1f} s; landing {args.files} files …", flush=True)
        wall_start, mono_start = time.time(), time.monotonic()
        arrivals = land_steadily(args, lander, group)
        wait_visible(arrivals, watcher, args.drain_timeout, group)
        wall_end, mono_end = time.time(), time.monotonic()
    finally:
        group.stop()
    return SensorPhase(
        ready_seconds=round(ready, 2),
        warmup_latency=warmup.latency,
        arrivals=arrivals,
        window_wall=(wall_start, wall_end),
        publishes=watcher.publishes_between(mono_start, mono_end),
    )


@dataclass
class BaselineSample:
    arrival: Arrival
    exit_code: int | None
    process_seconds: float
    log: Path
    error: str | None = None


def run_error(log: Path) -> str:
    """The gist of a failed run: the dbt error, else the last FAILED line of its log."""
    text = log.read_text(errors="replace")
    for marker in ("Encountered an error:", "FAILED"):
        if marker in text:
            after = text[text.rindex(marker) :].splitlines()
            return " ".join(line.strip() for line in after[:3] if line.strip())[:300]
    return text.strip().splitlines()[-1][:300] if text.strip() else "no output"


def run_baseline_phase(
    args: argparse.Namespace, lander: Lander, dirs: BenchDirs, env: dict, watcher: SnapshotWatcher
) -> list[BaselineSample]:
    """Land a file, then one ``gaming_refresh`` run in a new process; sensor stopped."""
    samples = []
    for i in range(args.baseline_files):
        arrival = lander.land()
        print(f"baseline: {arrival.name} landed; running gaming_refresh …", flush=True)
        log = dirs.logs / f"materialize_baseline_{i}.log"
        code, seconds = run_command(GAMING_REFRESH, env, log, args.run_timeout)
        wait_visible([arrival], watcher, timeout=5)
        error = None if code == 0 else run_error(log)
        samples.append(BaselineSample(arrival, code, round(seconds, 2), log, error))
    return samples


# ---------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Tick:
    """One sensor evaluation as Dagster recorded it (wall-clock seconds)."""

    start: float
    end: float | None
    kind: str  # load | idle | busy | failure


def _tick_kind(status: str, skip_reason: str | None) -> str:
    # A tick that loaded files returns asset events but no run request, which Dagster records
    # as SKIPPED ("Sensor function returned an empty result"); idle ticks carry our SkipReason.
    if status == "FAILURE":
        return "failure"
    reason = skip_reason or ""
    if reason.startswith("no new files"):
        return "idle"
    if reason.startswith("warehouse busy"):
        return "busy"
    return "load"


def sensor_ticks(window: tuple[float, float]) -> list[Tick]:
    """Dagster's own record of the sensor's ticks that started inside ``window``."""
    import dagster as dg

    instance = dg.DagsterInstance.get()
    try:
        state = next(
            (s for s in instance.all_instigator_state() if s.instigator_name == SENSOR_NAME), None
        )
        if state is None:
            return []
        records = instance.get_ticks(
            state.instigator_origin_id, state.selector_id, after=window[0], before=window[1]
        )
    finally:
        instance.dispose()
    ticks = [
        Tick(t.timestamp, t.end_timestamp, _tick_kind(t.status.value, t.skip_reason))
        for t in records
    ]
    return sorted(ticks, key=lambda t: t.start)


def tick_summary(ticks: list[Tick], arrivals: list[Arrival]) -> dict[str, Any]:
    """Tick spacing and duration by kind, and each file's latency split into waiting for the
    tick that loaded it and that tick's work (start → snapshot seen)."""
    starts = [t.start for t in ticks]
    durations: dict[str, list[float]] = {}
    for t in ticks:
        if t.end is not None:
            durations.setdefault(t.kind, []).append(t.end - t.start)
    loads = [t for t in ticks if t.kind == "load"]
    waits, work = [], []
    for a in arrivals:
        if a.latency is None:
            continue
        seen_wall = a.landed_wall + a.latency
        tick = next((t for t in reversed(loads) if t.start <= seen_wall), None)
        if tick is not None:
            waits.append(tick.start - a.landed_wall)
            work.append(seen_wall - tick.start)
    return {
        "ticks": len(ticks),
        "by_kind": {
            k: sum(t.kind == k for t in ticks) for k in ("load", "idle", "busy", "failure")
        },
        "start_gap_seconds": summarize([b - a for a, b in itertools.pairwise(starts)]),
        "duration_seconds_by_kind": {k: summarize(v) for k, v in sorted(durations.items())},
        "wait_for_tick_seconds": summarize(waits),
        "tick_start_to_visible_seconds": summarize(work),
    }


@dataclass
class Verification:
    files_landed: int
    lines_written: int
    valid_written: int
    oracle_valid: int
    served_events: int
    served_users: int
    expected_users: int
    revenue_mismatches: int
    served_total_spend: str
    expected_total_spend: str
    reconcile_passed: bool
    reconcile_lines_read: int
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


def verify(lander: Lander, dirs: BenchDirs) -> Verification:
    """Served marts vs an independent reading of every landed file; warehouse reconciliation."""
    from loaders.gaming.pipeline import reconcile
    from tributary import warehouse

    files = sorted(dirs.landing.glob("*.json"))
    expected = expected_from_files(files)
    cur = SnapshotReader("gaming").cursor()
    try:
        revenue = dict(cur.execute('SELECT "user", total_spend FROM gaming.revenue').fetchall())
        events = cur.execute("SELECT count(*) FROM gaming.user_events").fetchone()[0]
    finally:
        cur.close()
    want = expected.revenue()
    mismatches = sum(revenue.get(u) != v for u, v in want.items()) + len(revenue.keys() - want)
    with warehouse.connect(read_only=True, timeout=60) as con:
        rec = reconcile(con)
    served_total = sum((Decimal(v) for v in revenue.values()), Decimal(0))
    expected_total = sum((Decimal(v) for v in want.values()), Decimal(0))
    v = Verification(
        files_landed=len(files),
        lines_written=lander.lines_written,
        valid_written=lander.valid_written,
        oracle_valid=expected.valid,
        served_events=events,
        served_users=len(revenue),
        expected_users=len(want),
        revenue_mismatches=mismatches,
        served_total_spend=str(served_total),
        expected_total_spend=str(expected_total),
        reconcile_passed=rec.passed,
        reconcile_lines_read=rec.lines_read,
    )
    v.checks = {
        "users > 0": v.served_users > 0,
        "events served == valid lines written": events == lander.valid_written,
        "oracle agrees with generator": expected.valid == lander.valid_written
        and expected.lines == lander.lines_written,
        "revenue per user == oracle": mismatches == 0 and v.served_users == v.expected_users,
        "warehouse reconciliation passed": rec.passed and rec.lines_read == lander.lines_written,
    }
    return v


# ---------------------------------------------------------------------------- report


def latencies(arrivals: list[Arrival]) -> list[float]:
    return [a.latency for a in arrivals if a.latency is not None]


def build_result(
    args: argparse.Namespace,
    setup: Setup,
    sensor: SensorPhase,
    ticks: dict[str, Any],
    baseline: list[BaselineSample],
    verification: Verification,
) -> dict[str, Any]:
    sensor_summary = summarize(latencies(sensor.arrivals))
    base_lat = latencies([s.arrival for s in baseline])
    base_summary = summarize(base_lat)
    gaps = [b - a for a, b in itertools.pairwise(sensor.publishes)]
    ratio = None
    if base_lat and sensor_summary.get("p50"):
        ratio = round(base_summary["p50"] / sensor_summary["p50"], 2)
    p95 = sensor_summary.get("p95")
    return {
        "benchmark": NAME,
        "params": {k: v for k, v in vars(args).items() if k != "keep"},
        "setup": asdict(setup),
        "sensor": {
            "ready_seconds": sensor.ready_seconds,
            "warmup_latency_seconds": sensor.warmup_latency,
            "latency_seconds": sensor_summary,
            "missing": sum(a.visible is None for a in sensor.arrivals),
            "goal_p95_seconds": GOAL_P95_SECONDS,
            "goal_met": p95 is not None and p95 <= GOAL_P95_SECONDS,
            "snapshot_publishes": len(sensor.publishes),
            "publish_gap_seconds": summarize(gaps),
            "dagster_ticks": ticks,
            "samples": [_sample(a) for a in sensor.arrivals],
        },
        "baseline": {
            "command": " ".join(GAMING_REFRESH),
            "latency_seconds": base_summary,
            "samples": [
                {
                    **_sample(s.arrival),
                    "exit_code": s.exit_code,
                    "process_s": s.process_seconds,
                    "error": s.error,
                    "log": str(s.log),
                }
                for s in baseline
            ],
        },
        "ratio_baseline_p50_over_sensor_p50": ratio,
        "verification": {**asdict(verification), "passed": verification.passed},
        "machine": machine_info(),
    }


def _sample(a: Arrival) -> dict[str, Any]:
    latency = None if a.latency is None else round(a.latency, 3)
    return {"file": a.name, "valid_lines": a.valid, "rows_seen": a.rows_seen, "latency_s": latency}


def _fmt(summary: dict[str, float]) -> str:
    if not summary.get("n"):
        return "no samples"
    return (
        f"p50 {summary['p50']:.2f} s   p95 {summary['p95']:.2f} s   max {summary['max']:.2f} s"
        f"   (min {summary['min']:.2f} s, n={summary['n']})"
    )


def print_report(r: dict[str, Any]) -> None:
    s, b, v, p = r["sensor"], r["baseline"], r["verification"], r["params"]
    print(rule("Tributary gaming latency: file landed → rows in the serving snapshot"))
    print(f"  arrivals      {p['files']} files x {p['lines']} lines, one every {p['interval']} s")
    print(
        f"  setup         {r['setup']['initial_files']} initial files, "
        f"materialize_all {r['setup']['materialize_seconds']:.1f} s"
    )
    print(
        f"  dagster dev   sensor ticking {s['ready_seconds']:.1f} s after start "
        f"(warm-up file: {s['warmup_latency_seconds']:.2f} s, not counted)"
    )
    print(rule("sensor path (gaming_landing_sensor in `dagster dev`)"))
    print(f"  latency       {_fmt(s['latency_seconds'])}   missing {s['missing']}")
    verdict = "MET" if s["goal_met"] else "NOT MET"
    print(f"  goal          p95 ≤ {s['goal_p95_seconds']:.0f} s: {verdict}")
    gaps = _fmt(s["publish_gap_seconds"])
    print(f"  snapshots     {s['snapshot_publishes']} published; gap between them {gaps}")
    ticks = s["dagster_ticks"]
    if ticks.get("ticks"):
        kinds = ", ".join(f"{n} {k}" for k, n in ticks["by_kind"].items() if n)
        print(f"  ticks         {ticks['ticks']} recorded by Dagster ({kinds})")
        print(f"  tick spacing  {_fmt(ticks['start_gap_seconds'])}")
        for kind, summary in ticks["duration_seconds_by_kind"].items():
            print(f"  {kind + ' tick':<13} duration {_fmt(summary)}")
        print(
            f"  split         landed → next load tick starts: {_fmt(ticks['wait_for_tick_seconds'])}"
        )
        print(
            f"                tick start → rows visible:      {_fmt(ticks['tick_start_to_visible_seconds'])}"
        )
    print(rule("baseline: one-off gaming_refresh run per file (new process)"))
    for sample in b["samples"]:
        lat = f"{sample['latency_s']:.2f} s" if sample["latency_s"] is not None else "not visible"
        print(
            f"  {sample['file']}    landed → visible {lat}   "
            f"(process {sample['process_s']:.1f} s, exit {sample['exit_code']})"
        )
        if sample["error"]:
            print(f"      run failed: {sample['error']}\n      log: {sample['log']}")
    print(f"  latency       {_fmt(b['latency_seconds'])}")
    print(rule("comparison"))
    ratio = r["ratio_baseline_p50_over_sensor_p50"]
    print(f"  baseline p50 / sensor p50 = {ratio}x" if ratio else "  ratio: n/a")
    print(rule("verification"))
    print(
        f"  {v['files_landed']} files, {v['lines_written']} lines, {v['valid_written']} valid; "
        f"served {v['served_events']} events, {v['served_users']} users; "
        f"total spend {v['served_total_spend']} (expected {v['expected_total_spend']})"
    )
    for check, ok in v["checks"].items():
        print(f"  [{'ok' if ok else 'FAIL'}] {check}")


# ---------------------------------------------------------------------------- main


def run(args: argparse.Namespace, dirs: BenchDirs, groups: list[ProcessGroup]) -> dict[str, Any]:
    env = point_at(dirs)
    ensure_manifest(env)
    lander = Lander(dirs.landing, args.lines, args.seed)
    setup = run_setup(args, lander, dirs, env)
    watcher = SnapshotWatcher(args.poll)
    watcher.start()
    try:
        sensor = run_sensor_phase(args, lander, dirs, env, watcher, groups)
        ticks = tick_summary(sensor_ticks(sensor.window_wall), sensor.arrivals)
        baseline = run_baseline_phase(args, lander, dirs, env, watcher)
    finally:
        watcher.stop()
    verification = verify(lander, dirs)
    return build_result(args, setup, sensor, ticks, baseline, verification)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_time_cap(args.time_cap)
    dirs = make_dirs(Path(tempfile.mkdtemp(prefix="tributary-bench-latency-")))
    groups: list[ProcessGroup] = []
    ok = False
    try:
        if args.platform:
            env = point_at(dirs)
            ensure_manifest(env)
            result = gaming_realtime.run_platform(args, dirs, env)
            print(f"\nresult written to {write_result('gaming_realtime', result)}")
            ok = gaming_realtime.passed(result)
            return 0 if ok else 1
        result = run(args, dirs, groups)
        print_report(result)
        print(f"\nresult written to {write_result(NAME, result)}")
        ok = result["verification"]["passed"] and result["sensor"]["missing"] == 0
        return 0 if ok else 1
    except (BenchTimeout, KeyboardInterrupt, RuntimeError) as exc:
        print(f"\nbenchmark aborted: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        clear_time_cap()
        for group in groups:
            group.stop()
        if ok and not args.keep:
            shutil.rmtree(dirs.root, ignore_errors=True)
        else:
            print(f"data dir and logs kept in {dirs.root}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
