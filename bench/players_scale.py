"""Players at scale: a full load of 10M events and user-stats latency with 1M users.

``python -m bench.players_scale [--events 10000000] [--users 1000000] [--requests 3000]``

1. **Generate** ``--events`` player events for ``--users`` users into a throwaway data dir
   (files of 250k lines; registrations, sessions of pings, matches, 1 % defects and
   duplicates), streamed to disk.
2. **Load** them with the players loader (``plan_load`` + dlt, bounded batches), timed with
   peak RSS; the baseline in the same run is DuckDB's bare ``read_ndjson_objects`` of the same
   files into a table (no validation, no quarantine, no manifest).
3. **Model**: ``dbt build --select tag:players`` (cleaning, sessions, marts and all their
   tests; the first build is a full one), then the serving snapshot. Then one new file
   touching ``--touch`` (1 %) of the users lands and load + incremental build + publish run
   again, timed end to end against the full build + publish of the same run (goal ≤ 30 s;
   the full build's goal: no slower than 309 s). Each step reports wall and CPU seconds
   (the machine is shared: CPU time is the load-independent figure), dbt's start-up apart
   from its nodes, and the slowest nodes (dbt's ``run_results.json``).
   ``--incremental-only ROOT`` repeats just this step on a data dir kept by ``--keep``, after
   a warm-up (``dbt parse``, the loader's lazy imports: what a deployed project and a running
   loader have done before a file lands); with ``--full-rebuild`` it then rebuilds everything
   (``--full-refresh`` + full publish), so both are measured in the same run.
4. **Serve**: ``uvicorn api.main:app`` (1 worker) answers ``GET /api/user-stats`` for random
   registered users, half with a ``date``, one request at a time over a keep-alive
   connection: p50/p95/p99 (goal p99 ≤ 10 ms). Baseline in the same run, in process: the
   straightforward query (three aggregating lookups of the user in registration_data,
   session_data and match_data) against the dbt tables in the warehouse, versus the API's
   one indexed lookup of the user's rows in the snapshot's ``players.user_days``.

Figures go to stdout and ``bench/results/players_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from api.routers.players import USER_DAYS_SQL
from bench.common import (
    DBT_PROJECT_DIR,
    RESULTS_DIR,
    VENV_BIN,
    ProcessGroup,
    ensure_manifest,
    free_port,
    make_dirs,
    peak_rss_mb,
    percentile,
    point_at,
    timed,
)

DAY = 86_400
SEASON_START = 1_725_148_800  # 2024-09-01 UTC
COUNTRIES = {
    "US": "America/New_York",
    "DE": "Europe/Berlin",
    "JP": "Asia/Tokyo",
    "BR": "America/Sao_Paulo",
}
DEVICES = ("iOS", "Android", "Web")
LINES_PER_FILE = 250_000

USER_STATS_SQL = """
WITH reg AS (
    SELECT user_id, country, registration_date_local_timezone
    FROM players.registration_data WHERE user_id = $user
),
sessions AS (
    SELECT coalesce(sum(session_count), 0), coalesce(sum(time_spent_in_game), 0), max("date")
    FROM players.session_data WHERE user_id = $user
),
matches AS (
    SELECT coalesce(sum(total_duration), 0), coalesce(sum(total_points_home), 0)
    FROM players.match_data WHERE user_id = $user
)
SELECT * FROM reg, sessions, matches
"""


# ------------------------------------------------------------------------------- generate


def generate(folder: Path, events: int, users: int, seed: int = 7) -> dict[str, int]:
    """Write about ``events`` events for ``users`` users; returns what was written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"u{n:07d}" for n in range(users)]
    registered = [SEASON_START + rng.randrange(10 * DAY) for _ in range(users)]
    per_user = max(2, events // users)
    out: list[str] = []
    written = {"lines": 0, "files": 0, "defects": 0}
    next_id = 1

    def flush(final: bool = False) -> None:
        while len(out) >= LINES_PER_FILE or (final and out):
            chunk, out[:] = out[:LINES_PER_FILE], out[LINES_PER_FILE:]
            path = folder / f"{written['files']:05d}.jsonl"
            path.write_text("\n".join(chunk) + "\n", encoding="utf-8")
            written["files"] += 1
            written["lines"] += len(chunk)

    for n, user in enumerate(ids):
        if next_id > events:
            break
        reg = registered[n]
        country = rng.choice(tuple(COUNTRIES))
        out.append(
            f'{{"event_id": {next_id}, "event_timestamp": {reg}, "event_type": "registration", '
            f'"event_data": {{"country": "{country}", "user_id": "{user}", "device_os": "{rng.choice(DEVICES)}"}}}}'
        )
        next_id += 1
        budget = rng.randint(1, 2 * per_user - 2)
        t = reg + rng.randint(30, 3_600)
        while budget > 0:
            if rng.random() < 0.15 and budget >= 2:  # a match against an earlier user
                other = rng.randrange(n) if n else None
                if other is not None:
                    start = max(t, registered[other]) + 60
                    mid = f"m{next_id}"
                    for ts, goals in (
                        (start, ("null", "null")),
                        (start + rng.randint(300, 1_200), (rng.randint(0, 4), rng.randint(0, 4))),
                    ):
                        out.append(
                            f'{{"event_id": {next_id}, "event_timestamp": {ts}, "event_type": "match", '
                            f'"event_data": {{"match_id": "{mid}", "home_user_id": "{user}", "away_user_id": "{ids[other]}", '
                            f'"home_goals_scored": {goals[0]}, "away_goals_scored": {goals[1]}}}}}'
                        )
                        next_id += 1
                    budget -= 2
                    t = start + 1_500
                    continue
            out.append(
                f'{{"event_id": {next_id}, "event_timestamp": {t}, "event_type": "session_ping", '
                f'"event_data": {{"user_id": "{user}", "type": ""}}}}'
            )
            next_id += 1
            budget -= 1
            t += rng.choice((60, 60, 45, 61, 3_600, DAY))
        if rng.random() < 0.01:  # a defect: a duplicate id or a broken line
            out.append(rng.choice((out[-1], "{broken", f'{{"event_id": {next_id}}}')))
            written["defects"] += 1
        if len(out) >= LINES_PER_FILE:
            flush()
    flush(final=True)
    return written


def write_timezones(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps({"country": c, "timezone": z}) + "\n" for c, z in COUNTRIES.items())
    )


# ------------------------------------------------------------------------------- measure


def bare_duckdb_load(folder: Path) -> float:
    from tributary import duck

    con = duck.connect(":memory:")
    try:
        _, seconds = timed(
            lambda: con.execute(
                "CREATE TABLE raw AS SELECT * FROM read_ndjson_objects($glob, ignore_errors = true)",
                {"glob": str(folder / "*.jsonl")},
            )
        )
        return seconds
    finally:
        con.close()


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU time of this process (its threads: DuckDB's too) or of its
    finished children (``RUSAGE_CHILDREN``)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def tributary_load() -> dict:
    from loaders.players import pipeline as players
    from tributary.locking import warehouse_lock

    cpu = cpu_seconds()
    started = time.perf_counter()
    with warehouse_lock():
        plan = players.plan_load()
        with plan.progress("tributary: loading"):
            players.pipeline().run(plan.source())
    seconds = time.perf_counter() - started  # planning (listing, manifest) included
    return {
        "cpu_seconds": round(cpu_seconds() - cpu, 2),
        "seconds": seconds,
        "lines_read": plan.lines_read,
        "valid": plan.valid,
        "quarantined_at_load": plan.quarantined,
        "batches": len(plan.batch_ids),
    }


def dbt_build(env: dict[str, str], *args: str) -> dict:
    """``dbt build --select tag:players`` in a subprocess: wall and CPU seconds, and from
    dbt's ``run_results.json`` the seconds spent running nodes (the rest is dbt's start-up:
    imports, manifest, graph) and the slowest nodes."""
    target = dbt_target(env)
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    _, seconds = timed(
        lambda: subprocess.run(
            [
                *(str(VENV_BIN / "dbt"), "build", "--select", "tag:players", "--quiet"),
                *("--target-path", str(target), *args),
            ],
            cwd=DBT_PROJECT_DIR,
            env=env,
            check=True,
        )
    )
    figures = {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds(resource.RUSAGE_CHILDREN) - cpu, 1),
    }
    results = target / "run_results.json"
    if results.exists():
        run = json.loads(results.read_text())
        nodes = sorted(
            ((n["execution_time"], n["unique_id"].split(".")[2]) for n in run["results"]),
            reverse=True,
        )
        figures.update(
            {
                "nodes": len(nodes),
                "nodes_seconds": round(sum(t for t, _ in nodes), 1),
                "startup_seconds": round(seconds - run["elapsed_time"], 1),
                "slowest_nodes": {name: round(t, 2) for t, name in nodes[:8]},
            }
        )
    return figures


def dbt_target(env: dict[str, str]) -> Path:
    """dbt's artefacts and partial-parse cache for this data dir, where the orchestration
    keeps them (``$TRIBUTARY_DATA_DIR/dbt/target``)."""
    return Path(env["TRIBUTARY_DATA_DIR"]) / "dbt" / "target"


def warm_up(env: dict[str, str]) -> None:
    """What a long-running loader and a deployed project have done before a file lands, so
    the incremental step measures steady state: ``dbt parse`` into the data dir's target
    (a deploy parses the project once; a changed project would otherwise be re-parsed by the
    first build) and the loader's lazy imports (dlt's destination, pandas), by planning a
    load with nothing new."""
    subprocess.run(
        [str(VENV_BIN / "dbt"), "parse", "--quiet", "--target-path", str(dbt_target(env))],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    from loaders.players import pipeline as players
    from tributary.locking import warehouse_lock

    with warehouse_lock():
        players.pipeline().run(players.plan_load().source())


def timed_publish() -> dict:
    from loaders.players.pipeline import publish_serving
    from tributary.locking import warehouse_lock

    cpu = cpu_seconds()
    with warehouse_lock():
        _, seconds = timed(publish_serving)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds() - cpu, 2)}


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = {f"p{q}_ms": percentile(samples, q) for q in (50, 95, 99)}
    return {k: round(v * 1000, 3) for k, v in {**ms, "max_ms": max(samples)}.items()}


def in_process_latency(database: Path, users: list[str], sql: str) -> dict[str, float]:
    from tributary import duck

    con = duck.connect(str(database), read_only=True)
    try:
        for user in users[:50]:
            con.execute(sql, {"user": user}).fetchall()
        samples = []
        for user in users:
            started = time.perf_counter()
            con.execute(sql, {"user": user}).fetchall()
            samples.append(time.perf_counter() - started)
    finally:
        con.close()
    return percentiles(samples)


def http_latency(env: dict[str, str], logs: Path, users: list[str]) -> dict:
    port = free_port()
    server = ProcessGroup(
        [str(VENV_BIN / "uvicorn"), "api.main:app", "--port", str(port), "--workers", "1"],
        env,
        logs / "uvicorn.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        samples, codes = [], {}
        with httpx.Client(base_url=base, timeout=10) as http:
            for i, user in enumerate(users[:200]):
                http.get(
                    "/api/user-stats",
                    params={"user_id": user, "date": "2024-09-05"} if i % 2 else {"user_id": user},
                )
            for i, user in enumerate(users):
                params = {"user_id": user}
                if i % 2:
                    params["date"] = f"2024-09-{1 + i % 20:02d}"
                started = time.perf_counter()
                response = http.get("/api/user-stats", params=params)
                samples.append(time.perf_counter() - started)
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
        return {**percentiles(samples), "requests": len(samples), "status_codes": codes}
    finally:
        server.stop()


def build_all(args: argparse.Namespace, result: dict, landing: Path, env: dict[str, str]) -> None:
    """Steps 1 to 3: generate, load (with the bare baseline), model, incremental."""
    from loaders.players.settings import PlayersSettings

    print(f"generating {args.events:,} events for {args.users:,} users …", flush=True)
    written, gen_s = timed(lambda: generate(landing, args.events, args.users))
    write_timezones(Path(PlayersSettings().timezones_url))
    size_mb = sum(p.stat().st_size for p in landing.glob("*.jsonl")) / 1e6
    result["input"] = {**written, "mb": round(size_mb, 1), "generate_seconds": round(gen_s, 1)}
    print(f"  {written['lines']:,} lines, {size_mb:,.0f} MB in {gen_s:.0f} s", flush=True)

    print("baseline: DuckDB read_ndjson_objects → table …", flush=True)
    bare_s = bare_duckdb_load(landing)
    print("tributary: players loader (plan_load + dlt) …", flush=True)
    rss_before = peak_rss_mb()
    load = tributary_load()
    load["peak_rss_mb"] = round(peak_rss_mb(), 0)
    load["peak_rss_mb_before_load"] = round(rss_before, 0)
    lines = load["lines_read"]
    result["load"] = {
        **load,
        "events_per_s": round(lines / load["seconds"]),
        "mb_per_s": round(size_mb / load["seconds"], 1),
        "bare_duckdb_seconds": round(bare_s, 2),
        "bare_duckdb_events_per_s": round(lines / bare_s),
        "ratio_to_bare": round(bare_s / load["seconds"], 3),
    }
    result["model"] = full_build(env)
    result["incremental"] = incremental_step(args, landing, env)


def full_build(env: dict[str, str], *args: str) -> dict:
    """A full ``dbt build`` (the first one, or ``--full-refresh``) and a full publish."""
    print(f"dbt build --select tag:players {' '.join(args)} (full) …", flush=True)
    load_before = os.getloadavg()[0]
    build = dbt_build(env, *args)
    publish = timed_publish()
    return {
        "dbt_build_seconds": build["seconds"],
        "dbt": build,
        "publish_seconds": publish["seconds"],
        "publish_cpu_seconds": publish["cpu_seconds"],
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def write_touching_file(path: Path, users: int, share: float, seed: int) -> int:
    """A new file of events for ``share`` of the users (a session of two pings each, and a
    match for every tenth pair), on a day after the generated season; returns the users."""
    rng = random.Random(seed)
    chosen = rng.sample(range(users), max(2, int(users * share)))
    day = SEASON_START + (20 + seed % 10) * DAY
    next_id = 2_000_000_000 + seed * 10_000_000
    lines = []
    for i, n in enumerate(chosen):
        t = day + rng.randrange(DAY - 4_000)
        for ts in (t, t + 60):
            lines.append(
                f'{{"event_id": {next_id}, "event_timestamp": {ts}, "event_type": "session_ping", '
                f'"event_data": {{"user_id": "u{n:07d}", "type": ""}}}}'
            )
            next_id += 1
        if i % 20 == 1:
            home, away = f"u{chosen[i - 1]:07d}", f"u{n:07d}"
            for ts, goals in ((t + 100, ("null", "null")), (t + 700, (2, 1))):
                lines.append(
                    f'{{"event_id": {next_id}, "event_timestamp": {ts}, "event_type": "match", '
                    f'"event_data": {{"match_id": "inc-{next_id}", "home_user_id": "{home}", '
                    f'"away_user_id": "{away}", "home_goals_scored": {goals[0]}, '
                    f'"away_goals_scored": {goals[1]}}}}}'
                )
                next_id += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(chosen)


def incremental_step(args: argparse.Namespace, landing: Path, env: dict[str, str]) -> dict:
    """One new file touching ``--touch`` of the users lands: load + incremental ``dbt build``
    + snapshot publish, timed end to end and step by step."""
    seed = len(list(landing.glob("9*.jsonl"))) + 1
    print(f"incremental: one new file touching {args.touch:.0%} of users …", flush=True)
    users = write_touching_file(landing / f"9{seed:04d}.jsonl", args.users, args.touch, seed)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    inc_load = tributary_load()
    inc_build = dbt_build(env)
    publish = timed_publish()
    end_to_end = time.perf_counter() - started
    from tributary import duck, settings

    con = duck.connect(str(settings.warehouse_path()), read_only=True)
    try:
        touched, evaluated = (
            con.execute(f"SELECT count(*) FROM intermediate.int_players__{name}").fetchone()[0]
            for name in ("touched_users", "working_set")
        )
    finally:
        con.close()
    return {
        "touched_users": touched,
        "evaluated_events": evaluated,
        "users_in_file": users,
        "lines": inc_load["lines_read"],
        "load_seconds": round(inc_load["seconds"], 2),
        "load_cpu_seconds": inc_load["cpu_seconds"],
        "dbt_build_seconds": inc_build["seconds"],
        "dbt": inc_build,
        "publish_seconds": publish["seconds"],
        "publish_cpu_seconds": publish["cpu_seconds"],
        "end_to_end_seconds": round(end_to_end, 1),
        "end_to_end_cpu_seconds": round(
            inc_load["cpu_seconds"] + inc_build["cpu_seconds"] + publish["cpu_seconds"], 1
        ),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument(
        "--touch", type=float, default=0.01, help="share of users the new file touches"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument(
        "--incremental-only",
        type=Path,
        metavar="ROOT",
        help="a data dir kept by an earlier --keep run: land one more touching file and "
        "measure only the incremental step (load + build + publish)",
    )
    parser.add_argument(
        "--full-rebuild",
        action="store_true",
        help="with --incremental-only: after the incremental step, rebuild everything "
        "(`dbt build --full-refresh` + full publish) so both are measured in the same run",
    )
    parser.add_argument(
        "--serve-only",
        type=Path,
        metavar="ROOT",
        help="a data dir kept by an earlier --keep run: republish its snapshot and measure "
        "only the serving step (4)",
    )
    args = parser.parse_args()

    root = (
        args.serve_only or args.incremental_only or Path(tempfile.mkdtemp(prefix="bench-players-"))
    )
    dirs = make_dirs(root)
    os.environ.pop("PLAYERS_EVENTS_URL", None)
    os.environ.pop("PLAYERS_TIMEZONES_URL", None)
    env = point_at(dirs)
    ensure_manifest(env)
    from loaders.players.pipeline import publish_serving
    from loaders.players.settings import PlayersSettings
    from tributary import settings
    from tributary.locking import warehouse_lock

    landing = Path(PlayersSettings().events_url)
    result: dict = {"events_asked": args.events, "users_asked": args.users}
    try:
        if args.serve_only or args.incremental_only:
            saved = RESULTS_DIR / "players_scale.json"
            previous = json.loads(saved.read_text()) if saved.exists() else {}
            result.update(
                {k: previous[k] for k in ("input", "load", "model", "incremental") if k in previous}
            )
            if args.incremental_only:
                warm_up(env)
                result["incremental"] = incremental_step(args, landing, env)
                if args.full_rebuild:
                    result["model"] = full_build(env, "--full-refresh")
            else:
                with warehouse_lock():
                    publish_serving()
        else:
            build_all(args, result, landing, env)
        from tributary import duck

        con = duck.connect(str(settings.warehouse_path()), read_only=True)
        try:
            registered = [
                r[0]
                for r in con.execute("SELECT user_id FROM players.registration_data").fetchall()
            ]
            marts = {
                name: con.execute(f"SELECT count(*) FROM players.{name}").fetchone()[0]
                for name in ("registration_data", "session_data", "match_data", "quarantine")
            }
        finally:
            con.close()
        result["marts_rows"] = marts
        sample = random.Random(3).sample(registered, min(args.requests, len(registered)))
        snapshot = (
            settings.serving_dir()
            / "players"
            / (settings.serving_dir() / "players" / "CURRENT").read_text().strip()
        )
        if sample:  # --requests 0: no serving step
            print("serving: in-process queries, warehouse tables vs snapshot …", flush=True)
            result["in_process"] = {
                "warehouse_tables": in_process_latency(
                    settings.warehouse_path(), sample[:500], USER_STATS_SQL
                ),
                "serving_snapshot": in_process_latency(snapshot, sample, USER_DAYS_SQL),
            }
            print(f"serving: GET /api/user-stats x {len(sample)} over HTTP …", flush=True)
            result["http"] = http_latency(env, dirs.logs, sample)
    finally:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "players_scale.json").write_text(json.dumps(result, indent=2))
        if not (args.keep or args.serve_only or args.incremental_only):
            shutil.rmtree(root, ignore_errors=True)
    print_report(result)


def _dbt_detail(dbt: dict | None) -> str:
    if not dbt or "nodes" not in dbt:
        return ""
    return (
        f" (dbt: {dbt['cpu_seconds']} CPU s; start-up {dbt['startup_seconds']} s, "
        f"{dbt['nodes']} nodes {dbt['nodes_seconds']} s)"
    )


def print_report(r: dict) -> None:
    if "load" not in r:  # --incremental-only on a data dir without saved figures
        print(f"\n== players, incremental step ==\n{json.dumps(r.get('incremental'), indent=2)}")
        if model := r.get("model"):  # --full-rebuild: the baseline of the same run
            full = model["dbt_build_seconds"] + model["publish_seconds"]
            inc = r["incremental"]["end_to_end_seconds"]
            print(
                f"full rebuild + publish: {full:.1f} s{_dbt_detail(model.get('dbt'))} "
                f"(load average {model.get('load_average')}); incremental {inc} s → "
                f"{full / inc:.1f}x faster than the full rebuild"
            )
        return
    load, model, http = r["load"], r["model"], r.get("http")
    print("\n== players at scale ==")
    print(
        f"input: {r['input']['lines']:,} lines ({r['input']['mb']:,} MB), {r['marts_rows']['registration_data']:,} registered users"
    )
    print(
        f"load:  {load['seconds']:.1f} s = {load['events_per_s']:,} events/s ({load['mb_per_s']} MB/s), "
        f"peak RSS {load['peak_rss_mb']:,.0f} MB; bare DuckDB read_ndjson_objects {load['bare_duckdb_seconds']} s "
        f"→ ratio {load['ratio_to_bare']}"
    )
    print(
        f"full dbt build (tag:players, with tests): {model['dbt_build_seconds']} s "
        f"(goal ≤ 309 s){_dbt_detail(model.get('dbt'))}; snapshot publish "
        f"{model['publish_seconds']} s (load average {model.get('load_average')})"
    )
    inc = r["incremental"]
    full = model["dbt_build_seconds"] + model["publish_seconds"]
    print(
        f"incremental: one new file ({inc['lines']:,} lines, {inc['users_in_file']:,} users; "
        f"{inc.get('touched_users', 0):,} users touched, {inc.get('evaluated_events', 0):,} "
        f"events evaluated) → "
        f"load {inc['load_seconds']} s + dbt build {inc['dbt_build_seconds']} s + publish "
        f"{inc['publish_seconds']} s = {inc['end_to_end_seconds']} s end to end (goal ≤ 30 s; "
        f"load average {inc['load_average']}); full build + publish {full:.1f} s "
        f"→ {full / inc['end_to_end_seconds']:.1f}x"
    )
    if "end_to_end_cpu_seconds" in inc:
        print(
            f"  CPU seconds: load {inc['load_cpu_seconds']} + dbt {inc['dbt']['cpu_seconds']} + "
            f"publish {inc['publish_cpu_seconds']} = {inc['end_to_end_cpu_seconds']}"
            f"{_dbt_detail(inc['dbt'])}"
        )
        print(f"  slowest nodes: {inc['dbt'].get('slowest_nodes')}")
    if http is None:
        return
    wh, snap = r["in_process"]["warehouse_tables"], r["in_process"]["serving_snapshot"]
    print(
        f"user-stats query in process: warehouse tables p99 {wh['p99_ms']} ms vs snapshot p99 {snap['p99_ms']} ms → {wh['p99_ms'] / max(snap['p99_ms'], 1e-6):.1f}x"
    )
    print(
        f"GET /api/user-stats over HTTP ({http['requests']} requests, codes {http['status_codes']}): "
        f"p50 {http['p50_ms']} ms, p95 {http['p95_ms']} ms, p99 {http['p99_ms']} ms (goal ≤ 10 ms)"
    )


if __name__ == "__main__":
    main()
