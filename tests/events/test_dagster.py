"""The events domain through Dagster: the refresh job (land pending + dbt marts over the lake),
its blocking reconciliation check, an hourly partition backfill, and the file sensor."""

from __future__ import annotations

import dagster as dg
import pytest

from loaders.events import kpis
from orchestration.defs.events.sensors import events_files_sensor
from tests.conftest import rows, run_job
from tests.events.helpers import T0, event, write_lines

HOUR = 3_600_000


@pytest.mark.slow
def test_refresh_job_lands_checks_and_builds_kpis(events_env):
    lines = [
        event("product_sold", T0, user="u1"),
        event("product_sold", T0 + 1, user="u2"),
        event("user_created", T0 + HOUR, user="u3"),
        event("product_favorited", T0 + 2 * HOUR, user="u1"),
        event("system_tick", T0 + 3 * HOUR, user=None),
        "junk",
    ]
    write_lines(events_env["landing"], "0001.json", [*lines, lines[0]])

    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    request = events_files_sensor(context)
    assert isinstance(request, dg.RunRequest) and request.run_key.startswith("events-files-")
    assert request.tags["tributary/warehouse"] == "writer"  # queued behind other writers

    result = run_job("events_refresh")
    assert result.success
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["batches_reconcile"] is True and all(checks.values())
    assert rows("SELECT * EXCLUDE (event_date) FROM events.events_daily_kpis") == [
        (5, 4, 3, 2, 1, 0, 1, 1.33)
    ]
    assert rows(
        "SELECT event_type, events, distinct_users FROM events.events_daily_type_counts ORDER BY 1"
    ) == [
        ("product_favorited", 1, 1),
        ("product_sold", 2, 2),
        ("system_tick", 1, 0),
        ("user_created", 1, 1),
    ]
    assert rows("SELECT reason FROM staging.stg_events__quarantine") == [
        ("line is not valid JSON",)
    ]
    # The KPI command (no warehouse) and the mart agree.
    from datetime import date

    cli = kpis.daily_kpis(date(2024, 3, 1))
    assert (cli["events"], cli["active_users"], cli["products_sold"]) == (5, 3, 2)

    # Nothing pending any more: the sensor skips; an hour backfill finds everything there.
    assert isinstance(events_files_sensor(context), dg.SkipReason)
    hour = dg.DagsterInstance.ephemeral()
    from orchestration.definitions import defs

    backfill = defs.resolve_job_def("events_hour").execute_in_process(
        instance=hour, partition_key="2024-03-01-08:00", raise_on_error=False
    )
    assert backfill.success
    meta = backfill.get_asset_materialization_events()[0].materialization.metadata
    # hour 08: two events, and the redelivered copy of the first in the same file
    assert (meta["landed"].value, meta["duplicates"].value) == (0, 3)
