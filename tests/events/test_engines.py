"""The events models on DuckDB and on Spark: the same lake gives the same marts row for row
(dbt tests pass on both), an incremental Spark run after new files rewrites only the days
those files touched, keeping every other partition (dbt-spark #950: an incremental model
silently rebuilt with `create or replace` would lose or rewrite them), and the stats snapshot
published from either engine's marts makes the real API answer byte for byte the same."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from loaders.events.files import land_files
from tests.conftest import running_api
from tests.events.helpers import T0, event, write_lines
from tests.spark_engine import Engines, drop_schemas, normalise

# A JVM start and dbt builds: minutes on a loaded 2-core machine (the suite default is 600 s).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

HOUR, DAY = 3_600_000, 86_400_000
MARTS = {
    "events.events_daily_type_counts": ["event_date", "event_type", "events", "distinct_users"],
    "events.events_daily_active_users": ["event_date", "active_users", "events_with_user"],
    "events.events_daily_kpis": [
        "event_date",
        "events",
        "event_types",
        "active_users",
        "products_sold",
        "product_favorites",
        "product_contacts",
        "new_users",
        "events_per_active_user",
    ],
    "events.user_days": [
        "user_id",
        "event_date",
        "products_contacted",
        "favourited",
        "products_sold",
    ],
    "events.users": ["user_id", "first_seen_date"],
    "staging.stg_events__quarantine": ["input_source", "raw_line", "reason", "batch_id"],
    "staging.stg_events__events": [
        "event_id",
        "event_type",
        "created_at",
        "event_date",
        "event_hour",
        "service",
        "user_id",
        "batch_id",
    ],
}


def _lines(day: int, users: int) -> list:
    """Events over two hours of one day, three types, some without a user, one junk line."""
    at = T0 + day * DAY
    out: list = []
    for n in range(users * 3):
        kind = ("product_sold", "user_created", "product_favorited")[n % 3]
        user = None if n % 7 == 0 else f"u{n % users}"
        out.append(event(kind, at + (n % 2) * HOUR + n, user=user))
    return [*out, '{"data": {"id": "not-a-uuid"}}']


def _marketplace(day: int, extra: bool = False) -> list:
    """What the stats mart counts: contacts (one product twice counts once), likes of an
    owner's products (u9 is seen only as an owner), sales (in `_lines`)."""
    at = T0 + day * DAY + 5
    if extra:
        return [
            event("conversation_started", at, user="u6", product_id="p3", owner_id="u1"),
            event("product_liked", at + 1, user="u5", product_id="p3", owner_id="u1"),
        ]
    return [
        event("conversation_started", at, user="u1", product_id="p1", owner_id="u2"),
        event("conversation_started", at + 1, user="u1", product_id="p1", owner_id="u2"),
        event("conversation_started", at + 2, user="u3", product_id="p2", owner_id="u2"),
        event("product_liked", at + 3, user="u4", product_id="p1", owner_id="u2"),
        event("product_liked", at + 4, user="u5", product_id="p4", owner_id="u1"),
        event("product_liked", at + 5, user=None, product_id="p5", owner_id="u9"),
    ]


def _stats_answers(data_dir: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> list[bytes]:
    """Publish the stats snapshot from ``engine``'s marts, then ask the real API."""
    from loaders.events.serving import publish_serving
    from tributary import warehouse

    with monkeypatch.context() as mp:
        mp.setenv("TRIBUTARY_DATA_DIR", str(data_dir))
        mp.setenv("TRIBUTARY_ENGINE", engine)
        mp.setenv("EVENTS_STATS_TODAY", "2024-03-03")
        with warehouse.locked():
            assert publish_serving() is not None, engine
        with running_api(data_dir) as base:
            return [
                httpx.get(f"{base}/events/users/{user}/stats", params={"days": days}).content
                for user in ("u1", "u2", "u9", "u0", "nobody")
                for days in (1, 3)
            ]


def _build_both(engines: Engines) -> None:
    for engine in ("duckdb", "spark"):
        engines.dbt(engine, "build", "--select", "tag:events")


def _assert_marts_read_alike(engines: Engines) -> None:
    """What a serving publisher reads (tributary.marts) is the same, type and row, whichever
    engine built the marts: the warehouse on DuckDB, the Parquet tables on Spark."""
    import duckdb

    from tributary.marts import marts_connection

    tables = [rel for rel in MARTS if rel.startswith("events.")]
    duck = duckdb.connect(str(engines.duck_dir / "warehouse.duckdb"), read_only=True)
    try:
        with (
            marts_connection(duck, engine="duckdb") as on_duck,
            marts_connection(engine="spark") as on_spark,
        ):
            for rel in tables:
                select = f"select {', '.join(MARTS[rel])} from {rel}"
                types = [
                    [(c[0], str(c[1])) for c in con.execute(select).description]
                    for con in (on_duck, on_spark)
                ]
                assert types[0] == types[1], (rel, types)
                rows = [normalise(con.execute(select).fetchall()) for con in (on_duck, on_spark)]
                assert rows[0] == rows[1] and rows[0], rel
    finally:
        duck.close()


def _partition_files(spark_dir: Path, table: str) -> dict[str, set[str]]:
    root = spark_dir / "spark" / "warehouse" / "events.db" / table
    return {p.name: {f.name for f in p.glob("*.parquet")} for p in root.iterdir() if p.is_dir()}


def test_events_marts_are_identical_and_incremental_runs_keep_other_days(
    events_env, engines: Engines, monkeypatch: pytest.MonkeyPatch
):
    drop_schemas(engines.spark, "events", "staging", "events_lake")
    write_lines(
        events_env["landing"],
        "0001.json",
        _lines(0, 6) + _marketplace(0) + _lines(1, 5) + _marketplace(1),
    )
    land_files()
    _build_both(engines)
    counts = {rel: engines.assert_identical(rel, cols) for rel, cols in MARTS.items()}
    assert counts["events.events_daily_kpis"] == 2 and counts["staging.stg_events__quarantine"] == 2
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(engines.spark_dir))
    _assert_marts_read_alike(engines)
    # the Spark marts are Parquet files a DuckDB reader (the serving publisher) can read
    before = {t: _partition_files(engines.spark_dir, t) for t in ("events_daily_type_counts",)}
    assert set(before["events_daily_type_counts"]) == {
        "event_date=2024-03-01",
        "event_date=2024-03-02",
    }

    # New files: more events on day 2 and a new day 3. Day 1 must not be rewritten.
    write_lines(
        events_env["landing"],
        "0002.json",
        _lines(1, 4)[:-1] + _marketplace(1, extra=True) + _lines(2, 3)[:-1],
    )
    land_files()
    _build_both(engines)
    for rel, cols in MARTS.items():
        engines.assert_identical(rel, cols)
    after = _partition_files(engines.spark_dir, "events_daily_type_counts")
    old = before["events_daily_type_counts"]
    assert set(after) == {*old, "event_date=2024-03-03"}
    assert after["event_date=2024-03-01"] == old["event_date=2024-03-01"]  # kept as it was
    assert after["event_date=2024-03-02"].isdisjoint(old["event_date=2024-03-02"])  # rewritten
    kpis = engines.spark_rows("events.events_daily_kpis", ["event_date", "events"])
    assert [n for _, n in kpis] == [18 + 6, 15 + 6 + 12 + 2, 9]
    # the day the second file added to was updated incrementally on DuckDB, rebuilt on Spark
    days = engines.spark_rows("events.user_days", ["user_id", "event_date", "favourited"])
    assert ("u1", date(2024, 3, 2), 2) in days and ("u9", date(2024, 3, 1), 1) in days

    on_duck = _stats_answers(engines.duck_dir, monkeypatch, "duckdb")
    on_spark = _stats_answers(engines.spark_dir, monkeypatch, "spark")
    assert on_duck == on_spark
    u1 = json.loads(on_duck[1])  # u1 over 3 days: a contact a day, likes of u1's products
    assert [(d["date"], d["products_contacted"], d["favourited"]) for d in u1["series"]] == [
        ("2024-03-01", 1, 1),
        ("2024-03-02", 1, 2),
        ("2024-03-03", 0, 0),
    ]
    assert json.loads(on_duck[5])["totals"]["favourited"] == 2  # u9: seen only as an owner
    assert json.loads(on_duck[-1])["error"] == {"field": "user_id", "reason": "unknown user"}
