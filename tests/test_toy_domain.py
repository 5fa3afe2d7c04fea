"""A new file domain is a spec plus SQL: the toy domain of ``tests/toy_domain/`` (one
:class:`FileDomain`, two schemas, a validation query and a mart query) loads through the one
``load_once`` every entry point uses, and the orchestration factories turn the same spec into
its Dagster assets, blocking check, refresh job and pending-files sensor, which run for real."""

from __future__ import annotations

import json

import dagster as dg
from dagster_dlt import DagsterDltResource

from loaders.file_domain import load_once
from orchestration.lib.domain import file_domain_assets, refresh_job
from orchestration.lib.sensors import pending_files_sensor
from orchestration.lib.warehouse import WarehouseResource
from tests.conftest import rows
from tests.toy_domain.spec import TOY, build_marts
from tributary import serving, settings, warehouse


def land(name: str, lines: list) -> None:
    folder = settings.landing_dir("toy")
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines)
    (folder / name).write_text(text + "\n")


def served_totals() -> list[tuple]:
    cur = serving.SnapshotReader("toy").cursor()
    try:
        return cur.execute("SELECT item, qty, order_lines FROM toy.totals").fetchall()
    finally:
        cur.close()


def test_a_toy_domain_loads_through_load_once(data_dir):
    land("0001.json", [{"item": "tea", "qty": 2}, {"item": "jam", "qty": 1}, "not json"])
    land("0002.json", [{"item": "tea", "qty": 3}, {"item": "", "qty": 1}, {"item": "jam"}])

    first = load_once(TOY)
    assert (first.report.files, first.report.valid, first.report.quarantined) == (2, 3, 3)
    assert first.reconciliation.passed
    assert first.published is None  # no mart yet: nothing to serve
    assert rows(
        "SELECT parse_filename(source_file), line_number, reason FROM toy_raw.quarantine "
        "ORDER BY 1, 2"
    ) == [
        ("0001.json", 3, "line is not valid JSON"),
        ("0002.json", 2, "missing field: item"),
        ("0002.json", 3, "qty is not a positive integer"),
    ]

    with warehouse.connect() as con:
        build_marts(con)
    # A rewritten file replaces its rows; an unchanged one is not read again.
    land("0002.json", [{"item": "tea", "qty": 10}])
    second = load_once(TOY)
    assert (second.report.files, second.report.valid, second.report.quarantined) == (1, 1, 0)
    assert second.reconciliation.passed
    assert second.published is not None
    assert served_totals() == [("jam", 1, 1), ("tea", 12, 2)]

    again = load_once(TOY)  # idempotent: nothing pending, nothing changes
    assert again.report.files == 0
    assert served_totals() == [("jam", 1, 1), ("tea", 12, 2)]


# What dbt would build from dbt_project/models/marts/toy/ (orchestration/defs/dbt.py makes every
# dbt model an asset); here the mart's SQL runs as one small asset of the toy group.
@dg.asset(
    key=["toy", "totals"],
    group_name="toy",
    deps=[dg.AssetKey(["toy_raw", "events"]), dg.AssetKey(["toy_raw", "files"])],
)
def toy_totals(warehouse: WarehouseResource) -> None:
    with warehouse.connect() as con:
        build_marts(con)


def toy_definitions() -> dg.Definitions:
    raw, check, snapshot = file_domain_assets(TOY)
    return dg.Definitions(
        assets=[raw, toy_totals, snapshot],
        asset_checks=[check],
        jobs=[refresh_job("toy", "Load every pending toy file, build the mart, publish.")],
        sensors=[pending_files_sensor(TOY, "toy_sensor", 30, "A toy refresh when files land.")],
        resources={"dlt": DagsterDltResource(), "warehouse": WarehouseResource()},
        executor=dg.in_process_executor,
    )


def test_the_factories_turn_the_toy_spec_into_running_dagster_assets(data_dir):
    defs = toy_definitions()
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()} == {
        "toy_raw/events": "toy",
        "toy_raw/quarantine": "toy",
        "toy_raw/files": "toy",
        "toy_raw/file_loads": "toy",
        "toy/totals": "toy",
        "serving/toy": "toy",
    }
    assert [f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys] == [
        "toy_raw/events:lines_reconcile"
    ]
    job = defs.resolve_job_def("toy_refresh")
    sensor = defs.resolve_sensor_def("toy_sensor")
    instance = dg.DagsterInstance.ephemeral()

    # Nothing landed: the sensor skips. A file lands: it asks for one run.
    assert sensor(dg.build_sensor_context(instance=instance)).skip_reason is not None
    land("0001.json", [{"item": "tea", "qty": 2}, {"item": "jam", "qty": 4}, "junk"])
    [request] = sensor(dg.build_sensor_context(instance=instance)).run_requests

    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == ("lines_reconcile", True)
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"toy_raw/events", "toy_raw/quarantine", "toy/totals", "serving/toy"} <= materialised
    assert served_totals() == [("jam", 4, 1), ("tea", 2, 1)]

    # Loaded: the next tick has nothing to ask for.
    assert sensor(dg.build_sensor_context(instance=instance)).skip_reason is not None
