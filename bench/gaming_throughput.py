"""Bulk throughput of the gaming load path on a backlog, against DuckDB reading the same files.

``python -m bench.gaming_throughput [--files 1000 --lines 1000]``

1. A backlog of ``--files`` x ``--lines`` generator lines is written once into a temp folder.
2. Tributary, in this process, into a fresh data dir, under the warehouse lock (what
   ``python -m loaders.gaming --url <dir>`` does, minus the real-time store): ``plan_load``
   (list, diff against the manifest) then ``write`` (per batch, in two worker threads: read,
   split, the usual shape taken apart, the other lines classified by DuckDB, the batch's
   Parquet file written; then, in this thread and in order, quarantine and manifest inserted,
   the file published, commit; the connection is closed, so its checkpoint is included).
   Both parts are timed; the writer's own timers give the step split.
3. Baseline: ``CREATE TABLE t AS SELECT * FROM read_json('<dir>/*.json',
   format='newline_delimited', ignore_errors=true)`` into a fresh DuckDB file. This reads and
   parses the same bytes but neither validates nor quarantines, so it is a lower bound.
   Wall and CPU seconds (this process, DuckDB's threads included) of both are compared; the
   runs of 2. and 3. alternate, so a neighbour's load falls on both alike.
4. Where the read+validate time goes: list, read, split and validate timed one by one, with
   the previous implementation beside the current one on the same bytes.
5. Per-tick cost at this warehouse size (skip with ``--skip-tick-cost``): the gaming views are
   built with ``dbt run``, then the real ``gaming_landing_sensor`` is evaluated in process on
   an idle tick and on a tick that loads one new file, and ``publish_serving`` is timed alone.
   This is what the near-real-time path pays per file once the warehouse holds the backlog.

Prints a report and writes ``bench/results/gaming_throughput.json``.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.common import (
    DBT_PROJECT_DIR,
    VENV_BIN,
    BenchDirs,
    BenchTimeout,
    clear_time_cap,
    ensure_manifest,
    install_time_cap,
    machine_info,
    make_dirs,
    peak_rss_mb,
    point_at,
    rule,
    timed,
    write_result,
)
from loaders.gaming import pipeline as gaming
from loaders.gaming import warehouse_load
from loaders.gaming.landing import Landing
from loaders.gaming.parsing import lines_table, validate
from loaders.gaming.warehouse_load import WriteStats
from simulation.gaming.generator import write_files
from tributary import duck, warehouse
from tributary.locking import warehouse_lock

NAME = "gaming_throughput"
T = TypeVar("T")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--files", type=int, default=1000, help="files in the backlog")
    p.add_argument("--lines", type=int, default=1000, help="lines per file")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3, help="runs of 2. and 3.; median reported")
    p.add_argument("--tick-file-lines", type=int, default=200, help="lines of the one-file tick")
    p.add_argument("--skip-tick-cost", action="store_true", help="skip step 5")
    p.add_argument("--time-cap", type=int, default=900, help="global cap for the whole script")
    p.add_argument("--keep", action="store_true", help="keep the temp dirs")
    args = p.parse_args(argv)
    if min(args.files, args.lines, args.repeat, args.tick_file_lines) < 1:
        p.error("--files, --lines, --repeat and --tick-file-lines must be at least 1")
    return args


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("nan")


# ---------------------------------------------------------------------------- 1. backlog


@dataclass
class Backlog:
    folder: Path
    files: int
    lines: int
    defective: int
    bytes: int
    seconds: float

    @property
    def valid(self) -> int:
        return self.lines - self.defective


def generate_backlog(folder: Path, files: int, lines: int, seed: int) -> Backlog:
    print(f"generating the backlog: {files} files x {lines} lines …", flush=True)
    generated, seconds = timed(lambda: write_files(folder, files, lines, seed=seed))
    size = sum(p.stat().st_size for p in folder.glob("*.json"))
    return Backlog(folder, files, generated.lines, generated.defective_lines, size, seconds)


# ---------------------------------------------------------------------------- 2. tributary


@dataclass
class TributaryLoad:
    files: int
    lines_read: int
    valid: int
    quarantined: int
    plan_seconds: float
    write_seconds: float
    write_steps: dict[str, float]
    events_in_warehouse: int
    quarantine_in_warehouse: int
    reconcile_passed: bool
    cpu_seconds: float = 0.0  # this process's CPU (all threads: DuckDB's included)

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.write_seconds


def load_tributary(url: str) -> TributaryLoad:
    """plan_load + write under the warehouse lock, timed separately."""
    print("tributary: plan_load + write …", flush=True)
    cpu = time.process_time()
    with warehouse_lock():
        plan, plan_seconds = timed(lambda: gaming.plan_load(Landing(url)))
        stats = WriteStats()
        with plan.progress("tributary: loading"):
            _, write_seconds = timed(lambda: warehouse_load.write(plan, stats))
        cpu = time.process_time() - cpu
        # read, split, classify and Parquet run in two worker threads, overlapping the commits
        steps = {
            "read (workers)": stats.read,
            "split + shape (workers)": stats.split,
            "classify rest + Parquet (workers)": stats.classify,
            "quarantine+manifest+commit": stats.insert,
        }
        with warehouse.connect(read_only=True, lock=False) as con:
            events = con.execute("SELECT count(*) FROM gaming_raw.events").fetchone()[0]
            quarantine = con.execute("SELECT count(*) FROM gaming_raw.quarantine").fetchone()[0]
            reconciled = gaming.reconcile(con).passed
    return TributaryLoad(
        files=len(plan.pending),
        lines_read=plan.lines_read,
        valid=plan.valid,
        quarantined=plan.quarantined,
        plan_seconds=round(plan_seconds, 3),
        write_seconds=round(write_seconds, 3),
        write_steps={k: round(v, 3) for k, v in steps.items()},
        events_in_warehouse=events,
        quarantine_in_warehouse=quarantine,
        reconcile_passed=reconciled,
        cpu_seconds=round(cpu, 3),
    )


# ---------------------------------------------------------------------------- 3. duckdb


@dataclass
class DuckDBLoad:
    seconds: float
    rows: int
    cpu_seconds: float = 0.0


def load_duckdb(folder: Path, db_path: Path) -> DuckDBLoad:
    print("duckdb: read_json into a table …", flush=True)
    con = duck.connect(db_path)
    try:
        glob = str(folder / "*.json").replace("'", "''")
        sql = (
            "CREATE TABLE t AS SELECT * FROM "
            f"read_json('{glob}', format='newline_delimited', ignore_errors=true)"
        )
        cpu = time.process_time()
        _, seconds = timed(lambda: con.execute(sql))
        cpu = time.process_time() - cpu
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()
    return DuckDBLoad(round(seconds, 3), rows, round(cpu, 3))


# ---------------------------------------------------------------------------- 4. profile


def cpu_timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds of this process, DuckDB's threads included)."""
    cpu = time.process_time()
    result, wall = timed(fn)
    return result, wall, time.process_time() - cpu


def profile_plan(url: str) -> dict[str, float]:
    """The parts of ``plan_load`` one by one (no warehouse involved), and the same split +
    validation with the previous implementation (Python line split, temporary table and two
    ordered queries: ``tests/gaming/previous_parsing.py``) on the same bytes, with a check
    that both give the same rows."""
    from tests.gaming import previous_parsing

    print("profile: list / read / split / validate (new and previous) …", flush=True)
    landing = Landing(url)
    listed, list_s = timed(landing.list)
    contents, read_s = timed(lambda: landing.read(listed))
    out: dict[str, float] = {"list": round(list_s, 3), "read": round(read_s, 3)}
    results = {}
    for name, split, check in (
        ("previous", previous_parsing.lines_table, previous_parsing.validate),
        ("new", lines_table, validate),
    ):
        gc.collect()
        lines, split_s, split_cpu = cpu_timed(lambda split=split: split(contents))
        results[name], validate_s, validate_cpu = cpu_timed(lambda c=check, ls=lines: c(ls))
        out[f"{name}_split_lines"] = round(split_s, 3)
        out[f"{name}_validate"] = round(validate_s, 3)
        out[f"{name}_split_cpu"] = round(split_cpu, 3)
        out[f"{name}_validate_cpu"] = round(validate_cpu, 3)
        del lines
    same = all(
        a.to_pylist() == b.to_pylist()
        for a, b in zip(results["new"], results["previous"], strict=True)
    )
    out["same_rows_as_previous"] = float(same)
    return out


# ---------------------------------------------------------------------------- 5. tick cost


@dataclass
class TickCost:
    dbt_run_seconds: float
    publish_seconds: list[float]
    idle_tick_seconds: float
    load_tick_seconds: float
    load_tick_result: str
    snapshot_events: int
    snapshot_mb: float
    serving_versions: int
    serving_dir_mb: float
    one_file_steps: dict[str, float]


def build_views(dirs: BenchDirs, env: dict[str, str]) -> float:
    """``dbt run`` of the gaming models (all views) into this data dir's warehouse."""
    cmd = [str(VENV_BIN / "dbt"), "run", "--quiet", "--select", "tag:gaming"]
    cmd += ["--target-path", str(dirs.data_dir / "dbt" / "target")]
    with warehouse_lock():
        _, seconds = timed(
            lambda: subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=env, check=True, timeout=300)
        )
    return seconds


def evaluate_sensor() -> tuple[Any, float]:
    """One evaluation of the real ``gaming_landing_sensor``, in process."""
    import dagster as dg

    from orchestration.defs.gaming.sensors import gaming_landing_sensor

    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance)
        return timed(lambda: gaming_landing_sensor(context))


def describe(result: Any) -> str:
    if hasattr(result, "skip_message"):
        return f"skipped: {result.skip_message}"
    events = getattr(result, "asset_events", None) or []
    return f"loaded ({len(events)} asset events, cursor {getattr(result, 'cursor', None)})"


def one_file_steps(url: str) -> dict[str, float]:
    """The sensor's steps for one new file, timed one by one with the same functions."""
    with warehouse_lock():
        plan, plan_s = timed(lambda: gaming.plan_load(Landing(url), max_files=200))
        _, write_s = timed(lambda: gaming.write(plan))
        with warehouse.connect(lock=False) as con:
            _, reconcile_s = timed(lambda: gaming.reconcile(con, plan.batch_ids))
            _, publish_s = timed(lambda: gaming.publish_serving(con))
    return {
        "plan_load": round(plan_s, 3),
        "write": round(write_s, 3),
        "reconcile": round(reconcile_s, 3),
        "publish_serving": round(publish_s, 3),
    }


def tick_cost(args: argparse.Namespace, backlog: Backlog, dirs: BenchDirs, env: dict) -> TickCost:
    print("tick cost: dbt run (views) …", flush=True)
    dbt_seconds = build_views(dirs, env)
    os.environ["GAMING_EVENTS_URL"] = str(backlog.folder)  # where the sensor lists files
    print("tick cost: publish_serving / idle tick / one-file tick …", flush=True)
    publish_runs = []
    for _ in range(3):
        with warehouse_lock():
            publish_runs.append(round(timed(gaming.publish_serving)[1], 3))
    evaluate_sensor()  # first call pays the imports and Dagster setup; not counted
    idle, idle_seconds = evaluate_sensor()
    write_files(backlog.folder, 1, args.tick_file_lines, seed=args.seed, start_index=backlog.files)
    loaded, load_seconds = evaluate_sensor()
    write_files(
        backlog.folder, 1, args.tick_file_lines, seed=args.seed, start_index=backlog.files + 1
    )
    steps = one_file_steps(str(backlog.folder))
    from tributary.serving import SnapshotReader, current_version, domain_dir

    versions = list(domain_dir("gaming").glob("*.duckdb"))
    current = current_version("gaming")
    cur = SnapshotReader("gaming").cursor()
    try:
        served = cur.execute("SELECT count(*) FROM gaming.user_events").fetchone()[0]
    finally:
        cur.close()
    return TickCost(
        dbt_run_seconds=round(dbt_seconds, 3),
        publish_seconds=publish_runs,
        idle_tick_seconds=round(idle_seconds, 3),
        load_tick_seconds=round(load_seconds, 3),
        load_tick_result=f"{describe(loaded)}; idle tick {describe(idle)}",
        snapshot_events=served,
        snapshot_mb=round(current.stat().st_size / 1e6, 1) if current else 0.0,
        serving_versions=len(versions),
        serving_dir_mb=round(sum(v.stat().st_size for v in versions) / 1e6, 1),
        one_file_steps=steps,
    )


# ---------------------------------------------------------------------------- report


def verification(backlog: Backlog, load: TributaryLoad) -> dict[str, bool]:
    return {
        "valid + quarantined == lines written": load.valid + load.quarantined == backlog.lines,
        "valid == generator's valid lines": load.valid == backlog.valid,
        "all files read": load.files == backlog.files and load.lines_read == backlog.lines,
        "warehouse rows == batch rows": load.events_in_warehouse == load.valid
        and load.quarantine_in_warehouse == load.quarantined,
        "reconciliation passed": load.reconcile_passed,
    }


def build_result(
    args: argparse.Namespace,
    backlog: Backlog,
    loads: list[TributaryLoad],
    baselines: list[DuckDBLoad],
    profile: dict[str, float],
    ticks: TickCost | None,
) -> dict[str, Any]:
    load = median_run(loads, lambda r: r.seconds)
    baseline = median_run(baselines, lambda r: r.seconds)
    trib_eps = rate(backlog.lines, load.seconds)
    duck_eps = rate(backlog.lines, baseline.seconds)
    checks: dict[str, bool] = {}
    for each in loads:  # every run must be right, not only the median one
        for check, ok in verification(backlog, each).items():
            checks[check] = checks.get(check, True) and ok
    checks["new validation == previous (same rows, reasons, line numbers)"] = bool(
        profile.get("same_rows_as_previous")
    )
    return {
        "benchmark": NAME,
        "params": {k: v for k, v in vars(args).items() if k != "keep"},
        "backlog": {**asdict(backlog), "folder": str(backlog.folder), "valid": backlog.valid},
        "tributary": {
            **asdict(load),
            "seconds": round(load.seconds, 3),
            "events_per_second": trib_eps,
            "plan_share": round(load.plan_seconds / load.seconds, 3),
            "plan_lines_per_second": rate(backlog.lines, load.plan_seconds),
            "write_rows_per_second": rate(load.valid + load.quarantined, load.write_seconds),
            "all_runs_seconds": [round(r.seconds, 3) for r in loads],
        },
        "duckdb_read_json": {
            **asdict(baseline),
            "events_per_second": duck_eps,
            "all_runs_seconds": [r.seconds for r in baselines],
        },
        "ratio_tributary_over_duckdb": round(trib_eps / duck_eps, 4) if duck_eps else None,
        "cpu_ratio_duckdb_over_tributary": round(baseline.cpu_seconds / load.cpu_seconds, 4)
        if load.cpu_seconds
        else None,
        "load_average": list(os.getloadavg()),
        "plan_load_profile_seconds": profile,
        "tick_cost_at_size": asdict(ticks) if ticks else None,
        "verification": {"checks": checks, "passed": all(checks.values())},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": machine_info(),
    }


def print_report(r: dict[str, Any]) -> None:
    b, t, d = r["backlog"], r["tributary"], r["duckdb_read_json"]
    print(rule("Tributary gaming throughput: backlog load"))
    print(
        f"  backlog       {b['files']} files x {r['params']['lines']} lines = {b['lines']:,} lines "
        f"({b['bytes'] / 1e6:.1f} MB, {b['defective']} defective); generated in {b['seconds']:.1f} s"
    )
    print(rule("tributary: plan_load + write (lines → gaming lake, manifest → warehouse)"))
    runs = ", ".join(f"{v:.2f}" for v in t["all_runs_seconds"])
    print(
        f"  total         {t['seconds']:.2f} s   → {t['events_per_second']:,.0f} events/s   "
        f"(median run of: {runs} s)"
    )
    print(f"  list+diff     {t['plan_seconds']:.2f} s ({t['plan_share']:.0%})")
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in t["write_steps"].items())
    print(
        f"  write         {t['write_seconds']:.2f} s ({1 - t['plan_share']:.0%})   "
        f"→ {t['write_rows_per_second']:,.0f} rows/s   [{steps}]"
    )
    print(
        f"  rows          {t['valid']:,} valid + {t['quarantined']:,} quarantined   "
        f"(process peak RSS {r['peak_rss_mb']:,.0f} MB)"
    )
    print(rule("baseline: DuckDB read_json(ignore_errors) → table"))
    runs = ", ".join(f"{v:.2f}" for v in d["all_runs_seconds"])
    print(
        f"  total         {d['seconds']:.2f} s   → {d['events_per_second']:,.0f} events/s   "
        f"(median run of: {runs} s)"
    )
    print(f"  rows          {d['rows']:,} kept (bad JSON skipped; no validation, no quarantine)")
    print(rule("comparison"))
    print(f"  tributary / duckdb events/s (wall) = {r['ratio_tributary_over_duckdb']}")
    print(
        f"  CPU seconds: tributary {t['cpu_seconds']:.2f}, duckdb {d['cpu_seconds']:.2f} "
        f"(ratio {r['cpu_ratio_duckdb_over_tributary']}); load average at the end "
        f"{', '.join(f'{x:.1f}' for x in r['load_average'])}"
    )
    p = r["plan_load_profile_seconds"]
    print(f"  plan_load parts (separate pass): list {p['list']:.2f} s, read {p['read']:.2f} s")
    for name in ("previous", "new"):
        print(
            f"    {name:<9} split {p[f'{name}_split_lines']:.2f} s (CPU {p[f'{name}_split_cpu']:.2f}), "
            f"validate {p[f'{name}_validate']:.2f} s (CPU {p[f'{name}_validate_cpu']:.2f})"
        )
    ticks = r["tick_cost_at_size"]
    if ticks:
        print(rule(f"near-real-time path with {t['valid']:,} events in the warehouse"))
        runs = ", ".join(f"{v:.2f}" for v in ticks["publish_seconds"])
        print(f"  publish_serving alone   {runs} s (3 runs)")
        print(
            f"  snapshot                {ticks['snapshot_mb']:.1f} MB per version, "
            f"{ticks['serving_versions']} versions on disk ({ticks['serving_dir_mb']:.1f} MB)"
        )
        print(f"  idle sensor tick        {ticks['idle_tick_seconds']:.2f} s")
        print(
            f"  one-file sensor tick    {ticks['load_tick_seconds']:.2f} s   "
            f"({r['params']['tick_file_lines']} lines)"
        )
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in ticks["one_file_steps"].items())
        print(f"  one-file tick, by step  {parts}")
        print(
            f"  ({ticks['load_tick_result']}; views built by dbt run in {ticks['dbt_run_seconds']:.1f} s)"
        )
    print(rule("verification"))
    for check, ok in r["verification"]["checks"].items():
        print(f"  [{'ok' if ok else 'FAIL'}] {check}")


# ---------------------------------------------------------------------------- main


def median_run(runs: list[T], seconds: Callable[[T], float]) -> T:
    return sorted(runs, key=seconds)[len(runs) // 2]


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    backlog = generate_backlog(root / "backlog", args.files, args.lines, args.seed)
    loads: list[TributaryLoad] = []
    baselines: list[DuckDBLoad] = []
    for i in range(args.repeat):  # each run into a fresh data dir; interleaved with the
        dirs = make_dirs(root / f"tributary-{i}")  # baseline's, so both see the same machine
        env = point_at(dirs)
        ensure_manifest(env)
        loads.append(load_tributary(str(backlog.folder)))
        gc.collect()
        baselines.append(load_duckdb(backlog.folder, root / f"duckdb-{i}.duckdb"))
    profile = profile_plan(str(backlog.folder))
    gc.collect()
    # The last data dir holds the backlog: measure the near-real-time path on it.
    ticks = None if args.skip_tick_cost else tick_cost(args, backlog, dirs, env)
    return build_result(args, backlog, loads, baselines, profile, ticks)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_time_cap(args.time_cap)
    root = Path(tempfile.mkdtemp(prefix="tributary-bench-throughput-"))
    ok = False
    try:
        result = run(args, root)
        print_report(result)
        print(f"\nresult written to {write_result(NAME, result)}")
        ok = result["verification"]["passed"]
        return 0 if ok else 1
    except (BenchTimeout, KeyboardInterrupt, subprocess.SubprocessError) as exc:
        print(f"\nbenchmark aborted: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        clear_time_cap()
        if ok and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"temp dirs kept in {root}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
