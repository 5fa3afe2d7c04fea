"""tributary.marts: publishers read the marts of the engine that built them. The Spark side is
checked against real Spark output in tests/events/test_engines.py; here, a warehouse folder in
Spark's layout (hidden files, scratch folders, partition folders) written by pyarrow, and the
commerce and players snapshots published from it typed as on DuckDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.commerce.publish import publish_serving
from loaders.players import pipeline as players
from tributary import duck, serving
from tributary.marts import marts_connection, spark_warehouse_dir


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


@pytest.fixture
def spark_warehouse(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRIBUTARY_ENGINE", "spark")
    root = spark_warehouse_dir()
    # Spark's types: int32 ids, a partition column in the path only
    series = pa.table(
        {
            "platform": ["iOS", "Android"],
            "product": ["p1", "p2"],
            "series_id": pa.array([1, 2], pa.int32()),
            "entry_middle": ['","platform":"iOS"', '","platform":"Android"'],
        }
    )
    _write(root / "commerce.db" / "ctr_series" / "part-00000-a.snappy.parquet", series)
    (root / "commerce.db" / "ctr_series" / "_SUCCESS").write_text("")
    (root / "commerce.db" / "ctr_series" / ".part-00000-a.snappy.parquet.crc").write_text("x")
    # a write in flight: never read
    _write(root / "commerce.db" / "ctr_series" / "_temporary" / "0" / "part-9.parquet", series)
    for grain in ("minute", "hour", "day"):
        minutes = pa.table(
            {
                "series_id": pa.array([1, 2, 2], pa.int32()),
                "minute_idx": pa.array([10, 10, 11], pa.int64()),
                "views": pa.array([3, 4, 5], pa.int64()),
                "purchases": pa.array([1, 0, 2], pa.int64()),
            }
        )
        _write(root / "commerce.db" / f"ctr_series_{grain}" / "part-0.parquet", minutes)
    day = pa.table({"n": pa.array([7], pa.int64())})
    _write(root / "events.db" / "counts" / "event_date=2024-03-01" / "part-0.parquet", day)
    (root / "events.db" / "no_rows_yet" / "_SUCCESS").parent.mkdir(parents=True)
    return root


def test_spark_marts_are_views_over_the_parquet_folders(spark_warehouse: Path):
    with marts_connection() as con:
        assert con.execute("select count(*) from commerce.ctr_series").fetchone()[0] == 2
        assert con.execute("select event_date, n from events.counts").fetchall() == [
            (date(2024, 3, 1), 7)
        ]
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
    assert ("events.no_rows_yet",) not in tables  # no file: not built


def test_commerce_snapshot_from_spark_has_the_duckdb_types(spark_warehouse: Path):
    path = publish_serving()
    assert path is not None
    con = duck.connect(path, read_only=True)
    try:
        types = dict(
            con.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns"
            ).fetchall()
        )
        rows = con.execute("select * from commerce.ctr_minute order by 1, 2").fetchall()
    finally:
        con.close()
    assert types["ctr_series.series_id"] == "INTEGER"
    assert {types[f"ctr_minute.{c}"] for c in ("series_id", "minute_idx", "views")} == {"INTEGER"}
    assert types["ctr_series.platform"] == "VARCHAR"
    assert rows == [(1, 10, 3, 1), (2, 10, 4, 0), (2, 11, 5, 2)]
    assert serving.current_version("commerce") == path


COUNTS = ("session_count", "time_spent_in_game", "match_seconds", "points_home", "points_away")


def test_players_snapshot_from_spark_has_the_contract_types(spark_warehouse: Path):
    # Spark's types: int32 counts, decimal(38,0) where DuckDB has HUGEINT, a date partition
    days = pa.table(
        {
            "user_id": ["u1"],
            "country": ["PT"],
            "registration_date_local_timezone": ["2024-03-01"],
            "session_count": pa.array([2], pa.int32()),
            "time_spent_in_game": pa.array([60], pa.int64()),
            "match_seconds": pa.array([30], pa.int32()),
            "points_home": pa.array([3], pa.int64()),
            "points_away": pa.array([1], pa.int64()),
        }
    )
    _write(spark_warehouse / "players.db" / "user_days" / "date=2024-03-01" / "p.parquet", days)
    stats = pa.table(
        {
            "stats_date": [date(2024, 3, 1)],
            "active_users": pa.array([1], pa.int32()),
            "number_of_sessions": pa.array([2], pa.decimal128(38, 0)),
            "average_sessions_per_active_user": [2.0],
            "top_points": pa.array([3], pa.decimal128(38, 0)),
            "top_users": [["u1"]],
        }
    )
    _write(spark_warehouse / "players.db" / "game_stats" / "part-0.parquet", stats)
    path = players.publish_serving()
    assert path is not None
    con = duck.connect(path, read_only=True)
    try:
        types = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'players' order by table_name, ordinal_position"
        ).fetchall()
        day = con.execute("select * from players.user_days").fetchall()
    finally:
        con.close()
    assert [(t, c, d) for t, c, d in types if t == "user_days"] == [
        ("user_days", "user_id", "VARCHAR"),
        ("user_days", "country", "VARCHAR"),
        ("user_days", "registration_date_local_timezone", "VARCHAR"),
        ("user_days", "date", "DATE"),
        *(("user_days", c, "BIGINT") for c in COUNTS),
    ]
    assert [d for t, _, d in types if t == "game_stats"] == [
        "DATE", "BIGINT", "HUGEINT", "DOUBLE", "HUGEINT", "VARCHAR[]"
    ]  # fmt: skip
    assert day == [("u1", "PT", "2024-03-01", date(2024, 3, 1), 2, 60, 30, 3, 1)]


def test_on_duckdb_it_is_the_warehouse(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRIBUTARY_ENGINE", "duckdb")
    warehouse = duck.connect()
    with marts_connection(warehouse) as con:
        assert con is warehouse
    with pytest.raises(ValueError, match="engine"), marts_connection(warehouse, engine="flink"):
        pass
