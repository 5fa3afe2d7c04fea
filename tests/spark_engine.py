"""Running the dbt project on both engines from a test: one SparkSession per test session,
dbt on Spark in process (dbt-spark's session method picks that session up), dbt on DuckDB in a
subprocess, and reading a relation of either engine back as sorted rows for a row-by-row
comparison."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tributary import warehouse

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt_project"


def spark_conf(data_dir: Path, master: str) -> dict[str, str]:
    """The session settings of the profile's `spark` target (dbt_project/profiles.yml)."""
    spark = data_dir / "spark"
    return {
        "spark.master": master,
        "spark.app.name": "tributary-tests",
        "spark.sql.warehouse.dir": str(spark / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.hive.manageFilesourcePartitions": "false",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def start_session(data_dir: Path, master: str = "local[2]"):
    """A Hive-enabled SparkSession with the profile's settings (the JVM starts here)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(data_dir, master).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class Engines:
    """dbt on both targets for one test: DuckDB in ``duck_dir``, Spark in the session's dir."""

    def __init__(self, spark, spark_dir: Path, duck_dir: Path, master: str) -> None:
        self.spark, self.spark_dir, self.duck_dir, self.master = spark, spark_dir, duck_dir, master

    def env(self, engine: str) -> dict[str, str]:
        data = self.spark_dir if engine == "spark" else self.duck_dir
        return {
            "TRIBUTARY_ENGINE": engine,
            "TRIBUTARY_DATA_DIR": str(data),
            "TRIBUTARY_SPARK_MASTER": self.master,
            "DBT_PROFILES_DIR": str(DBT_DIR),
            "DBT_LOG_PATH": str(data / "dbt" / "logs"),
        }

    def dbt(self, engine: str, *args: str) -> None:
        """``dbt <args>`` on ``engine``; fails the test with dbt's output when dbt fails."""
        target_path = ["--target-path", str(self.duck_dir.parent / f"dbt-target-{engine}")]
        if engine == "duckdb":
            dbt_subprocess(self.env(engine), *args, *target_path)
            return
        from dbt.cli.main import dbtRunner

        saved = {k: os.environ.get(k) for k in self.env(engine)}
        os.environ.update(self.env(engine))
        cwd = os.getcwd()
        os.chdir(DBT_DIR)
        try:
            result = dbtRunner().invoke([*args, *target_path, "--quiet"])
        finally:
            os.chdir(cwd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        failed = [
            f"{r.node.unique_id}: {r.status} {r.message}"
            for r in (result.result or [])
            if str(r.status) in ("error", "fail", "runtime error")
        ]
        assert result.success and not failed, (failed, result.exception)

    def duck_rows(self, relation: str, columns: list[str]) -> list[tuple]:
        import duckdb

        con = duckdb.connect(str(self.duck_dir / "warehouse.duckdb"), read_only=True)
        try:
            return normalise(con.execute(f"select {', '.join(columns)} from {relation}").fetchall())
        finally:
            con.close()

    def spark_rows(self, relation: str, columns: list[str]) -> list[tuple]:
        found = self.spark.sql(f"select {', '.join(columns)} from {relation}").collect()
        return normalise([tuple(r) for r in found])

    def assert_identical(self, relation: str, columns: list[str]) -> int:
        """Same rows on both engines (as multisets); returns the row count."""
        duck, spark = self.duck_rows(relation, columns), self.spark_rows(relation, columns)
        assert duck == spark, (
            f"{relation} differs: duckdb-only {sorted(set(duck) - set(spark))[:5]}, spark-only {sorted(set(spark) - set(duck))[:5]}"
        )
        return len(duck)


def dbt_subprocess(env: dict[str, str], *args: str) -> None:
    """``dbt <args>`` in its own process with ``env`` added (a Spark target there starts its
    own driver JVM); fails the test with dbt's output when dbt fails."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args],
        cwd=DBT_DIR,
        env={**os.environ, "DBT_PROFILES_DIR": str(DBT_DIR), **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]


def spark_table_rows(data_dir: Path, schema: str, table: str, columns: list[str]) -> list[tuple]:
    """A table the Spark target wrote, read from its Parquet files by DuckDB (as a serving
    publisher reads it: partition folders are hive columns)."""
    import duckdb

    files = data_dir / "spark" / "warehouse" / f"{schema}.db" / table / "**" / "*.parquet"
    found = duckdb.sql(
        f"select {', '.join(columns)} from read_parquet('{files}', hive_partitioning = true)"
    ).fetchall()
    return normalise(found)


def _value(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, sort_keys=True)
    return v


def normalise(found: list) -> list[tuple]:
    rows = [tuple(_value(v) for v in row) for row in found]
    return sorted(
        rows,
        key=lambda row: tuple((x is None, str(type(x)), x if x is not None else 0) for x in row),
    )


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Path]]:
    """The test session's one SparkSession (local[2]) and the data dir of its warehouse and
    metastore. Every Spark test shares it; each drops the schemas it builds first."""
    pytest.importorskip("pyspark")
    data = tmp_path_factory.mktemp("spark-engine")
    session = start_session(data)
    try:
        yield session, data
    finally:
        session.stop()


@pytest.fixture
def engines(spark_session, tmp_path: Path) -> Engines:
    session, spark_dir = spark_session
    duck_dir = tmp_path / "duck"
    duck_dir.mkdir()
    return Engines(session, spark_dir, duck_dir, "local[2]")


def drop_schemas(spark, *schemas: str) -> None:
    for schema in schemas:
        spark.sql(f"drop schema if exists {schema} cascade")


__all__ = ["Engines", "date", "drop_schemas", "engines", "spark_session"]


def publish_with(
    publish: Callable[[], Path | None], data_dir: Path, engine: str, mp: pytest.MonkeyPatch
) -> Path:
    """``publish`` (a domain's serving publisher) over ``data_dir``'s marts as built by
    ``engine``, under the warehouse lock; the snapshot's path."""
    with mp.context() as inner:
        inner.setenv("TRIBUTARY_DATA_DIR", str(data_dir))
        inner.setenv("TRIBUTARY_ENGINE", engine)
        with warehouse.locked():
            path = publish()
    assert path is not None, engine
    return path


def snapshot_tables(path: Path, schema: str) -> dict[str, tuple[list, list]]:
    """Every table of ``schema`` in the serving snapshot at ``path``: its columns with their
    types, and its rows sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        found = {}
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [schema]
        ).fetchall():
            cur = con.execute(f"SELECT * FROM {schema}.{table} ORDER BY ALL")
            found[table] = ([(d[0], str(d[1])) for d in cur.description], cur.fetchall())
        return found
    finally:
        con.close()
