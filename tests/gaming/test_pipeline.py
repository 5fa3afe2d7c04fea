"""The gaming domain through Dagster: real assets, checks and the near-real-time sensor."""

from __future__ import annotations

import dagster as dg
import pytest

from simulation.gaming.generator import write_files
from tests.conftest import run_job
from tests.gaming.helpers import event, land, landing, mart_snapshot, rows, store_rows
from tributary.locking import warehouse_lock


@pytest.mark.slow
def test_fresh_run_end_to_end_and_rerun_is_identical(data_dir):
    generated = write_files(landing(), files=6, lines_per_file=300, players=50, defect_rate=0.05)

    first = run_job("gaming_refresh")
    assert first.success
    checks = first.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert {c.asset_check_key.name for c in checks} >= {
        "lines_reconcile",
        "unique_gaming_revenue_user",
    }

    total, bad = rows("SELECT sum(lines_read), sum(quarantined_rows) FROM gaming_raw.files")[0]
    assert total == generated.lines
    assert bad == generated.defective_lines
    assert rows('SELECT count(*) FROM gaming."user"') == [
        (generated.lines - generated.defective_lines,)
    ]
    before = mart_snapshot()
    assert before["revenue"] and before["quarantine"]

    # The API's real-time store holds the same revenue table.
    assert sorted(store_rows('SELECT "user", total_spend FROM revenue')) == before["revenue"]

    second = run_job("gaming_refresh")
    assert second.success
    assert mart_snapshot() == before
    assert rows("SELECT count(*) FROM gaming_raw.file_loads") == [(6,)]


@pytest.mark.slow
def test_empty_input_location_materialises_empty_tables(data_dir):
    result = run_job("gaming_refresh")
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert mart_snapshot() == {"user": [], "revenue": [], "quarantine": []}
    assert store_rows("SELECT count(*) FROM revenue") == [(0,)]


def _tick(instance: dg.DagsterInstance):
    from orchestration.defs.gaming.sensors import gaming_landing_sensor

    context = dg.build_sensor_context(instance=instance)
    return gaming_landing_sensor(context)


def test_sensor_loads_new_files_and_reports_to_dagster(built_data_dir):
    instance = dg.DagsterInstance.ephemeral()
    skipped = _tick(instance)
    assert isinstance(skipped, dg.SkipReason)

    land("0000.json", [event("A", spend="1.99"), event("B"), "garbage"])
    result = _tick(instance)
    assert isinstance(result, dg.SensorResult)
    keys = {
        e.asset_key.to_user_string()
        for e in result.asset_events
        if isinstance(e, dg.AssetMaterialization)
    }
    assert keys == {
        "gaming_raw/events",
        "gaming_raw/quarantine",
        "gaming_raw/files",
        "gaming_raw/file_loads",
        "serving/gaming",
    }
    [check] = [e for e in result.asset_events if isinstance(e, dg.AssetCheckEvaluation)]
    assert check.passed and check.check_name == "lines_reconcile"
    assert check.metadata["lines_read"].value == 3

    # The API's store already has the rows: no dbt run was needed.
    assert sorted(store_rows('SELECT "user", total_spend FROM revenue')) == [
        ("A", "1.99"),
        ("B", "0.00"),
    ]

    land("0001.json", [event("A", spend="3.01")])
    result = _tick(instance)
    events_meta = next(
        e
        for e in result.asset_events
        if isinstance(e, dg.AssetMaterialization) and e.asset_key.path == ["gaming_raw", "events"]
    )
    assert events_meta.metadata["rows_loaded"].value == 1  # only the new file was read
    assert store_rows("SELECT total_spend FROM revenue WHERE \"user\" = 'A'") == [("5.00",)]

    assert isinstance(_tick(instance), dg.SkipReason)


def test_sensor_skips_while_a_run_holds_the_warehouse(built_data_dir):
    land("0000.json", [event("A")])
    with warehouse_lock():
        result = _tick(dg.DagsterInstance.ephemeral())
    assert isinstance(result, dg.SkipReason) and "busy" in str(result.skip_message)
    assert rows("SELECT count(*) FROM gaming_raw.events") == [(0,)]


def test_sensor_works_off_a_backlog_in_bounded_batches(built_data_dir, monkeypatch):
    monkeypatch.setenv("GAMING_SENSOR_MAX_FILES", "2")
    for i in range(5):
        land(f"{i:04d}.json", [event(f"u{i}", spend="1.00")])
    instance = dg.DagsterInstance.ephemeral()
    loaded = []
    for _ in range(3):
        result = _tick(instance)
        files = next(e for e in result.asset_events if e.asset_key.path == ["gaming_raw", "files"])
        loaded.append(files.metadata["files"].value)
    assert loaded == [2, 2, 1]
    assert isinstance(_tick(instance), dg.SkipReason)
    assert rows("SELECT count(*) FROM gaming.revenue") == [(5,)]
