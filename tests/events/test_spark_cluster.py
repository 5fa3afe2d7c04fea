"""The distributed path: the events models built by a Spark standalone cluster (a master and
two workers started by `scripts/spark-cluster.sh`, separate processes on 127.0.0.1), with the
cluster's address as the only change of profile, give the DuckDB marts row for row, and both
executors ran tasks."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.events.files import land_files
from tests.conftest import IN_CI, REPO, free_port
from tests.events.helpers import T0, event, write_lines
from tests.spark_engine import dbt_subprocess, normalise, spark_table_rows

# A JVM start and dbt builds: minutes on a loaded 2-core machine (the suite default is 600 s).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

MARTS = {
    "events_daily_type_counts": ["event_date", "event_type", "events", "distinct_users"],
    "events_daily_active_users": ["event_date", "active_users", "events_with_user"],
    "events_daily_kpis": ["event_date", "events", "active_users", "events_per_active_user"],
}


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A master and two workers (1 core, 1g each) on free ports; their address and folder."""
    if shutil.which("java") is None:
        if IN_CI:
            pytest.fail("java is required for the Spark cluster test in CI")
        pytest.skip("no java on this machine")
    data = tmp_path_factory.mktemp("spark-cluster")
    port = free_port()
    env = {
        **os.environ,
        "TRIBUTARY_DATA_DIR": str(data),
        "SPARK_CLUSTER_PORT": str(port),
        "SPARK_CLUSTER_WEBUI_PORT": str(free_port()),
    }
    script = str(REPO / "scripts" / "spark-cluster.sh")
    subprocess.run([script, "start"], env=env, check=True, timeout=600)
    try:
        yield f"spark://127.0.0.1:{port}", data / "spark-cluster"
    finally:
        subprocess.run([script, "stop"], env=env, check=False, timeout=120)


def test_a_standalone_cluster_builds_the_same_events_marts(events_env, spark_cluster):
    master, cluster_dir = spark_cluster
    lines = []
    for day in range(3):
        for n in range(40):
            kind = ("product_sold", "user_created", "product_favorited", "page_viewed")[n % 4]
            lines.append(event(kind, T0 + day * 86_400_000 + n * 1000, user=f"u{n % 9}"))
    write_lines(events_env["landing"], "0001.json", lines)
    land_files()

    duck, spark = events_env["data"] / "duck", events_env["data"] / "spark-run"
    common = {"EVENTS_LAKE_URL": str(events_env["lake"])}
    dbt_subprocess(
        {**common, "TRIBUTARY_ENGINE": "duckdb", "TRIBUTARY_DATA_DIR": str(duck)},
        "build",
        "--select",
        "tag:events",
        "--target-path",
        str(duck / "target"),
    )
    dbt_subprocess(
        {
            **common,
            "TRIBUTARY_ENGINE": "spark",
            "TRIBUTARY_SPARK_MASTER": master,  # the only change from the local profile
            "TRIBUTARY_DATA_DIR": str(spark),
        },
        "build",
        "--select",
        "tag:events",
        "--target-path",
        str(spark / "target"),
    )

    import duckdb

    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    for table, columns in MARTS.items():
        expected = normalise(con.sql(f"select {', '.join(columns)} from events.{table}").fetchall())
        assert spark_table_rows(spark, "events", table, columns) == expected, table
    con.close()

    # Both workers' executors ran tasks of this application (the executors' own logs).
    for worker in ("work-1", "work-2"):
        logs = list((cluster_dir / worker).glob("app-*/*/stderr"))
        assert any("Running task" in log.read_text(errors="replace") for log in logs), worker
