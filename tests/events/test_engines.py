"""The events models on DuckDB and on Spark: the same lake gives the same marts row for row
(dbt tests pass on both), and an incremental Spark run after new files rewrites only the days
those files touched, keeping every other partition (dbt-spark #950: an incremental model
silently rebuilt with `create or replace` would lose or rewrite them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.events.files import land_files
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
    write_lines(events_env["landing"], "0001.json", _lines(0, 6) + _lines(1, 5))
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
    write_lines(events_env["landing"], "0002.json", _lines(1, 4)[:-1] + _lines(2, 3)[:-1])
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
    assert [n for _, n in kpis] == [18, 15 + 12, 9]
