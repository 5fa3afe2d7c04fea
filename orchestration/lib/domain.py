"""Factories for what every domain has: the reconciliation check on its raw load, the dbt
build of its models and the serving-snapshot asset the API reads."""

from collections.abc import Callable, Sequence
from typing import Protocol

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from loaders.common import open_warehouse
from orchestration.lib.dbt import TributaryDbtTranslator, dbt_build, dbt_project
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary import serving
from tributary.locking import warehouse_lock


class Reconciled(Protocol):
    """A reconciliation's outcome: ``passed``, and its counts as plain fields."""

    @property
    def passed(self) -> bool: ...


def reconciliation_check(
    asset: dg.AssetKey,
    reconcile: Callable[[duckdb.DuckDBPyConnection], Reconciled],
    description: str,
    name: str = "lines_reconcile",
) -> dg.AssetChecksDefinition:
    """Blocking check ``name`` on ``asset``: ``reconcile`` (any result with ``passed``; its
    fields become the metadata) over a read-only warehouse, under the warehouse lock."""

    @dg.asset_check(asset=asset, name=name, blocking=True, description=description)
    def check() -> dg.AssetCheckResult:
        pin_data_dir()
        with warehouse_lock():
            con = open_warehouse(read_only=True)
            try:
                result = reconcile(con)
            finally:
                con.close()
        return reconciliation_result(result)

    return check


def reconciliation_result(result: Reconciled) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=result.passed, metadata=dict(vars(result)))


def domain_dbt_assets(domain: str, description: str) -> dg.AssetsDefinition:
    """``<domain>_dbt``: ``dbt build`` of the models tagged ``domain``, tests as asset checks;
    ``description`` is the op's description in the UI."""

    def build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt_build(context, dbt)

    build.__doc__ = description
    return dbt_assets(
        manifest=dbt_project.manifest_path,
        select=f"tag:{domain}",
        name=f"{domain}_dbt",
        dagster_dbt_translator=TributaryDbtTranslator(),
        op_tags=WAREHOUSE_WRITER_TAGS,
    )(build)


def serving_snapshot_asset(
    domain: str,
    served_marts: Sequence[dg.AssetKey],
    publish: Callable[[], None],
) -> dg.AssetsDefinition:
    """``serving/<domain>``: the read-only snapshot of the marts the API serves."""

    @dg.asset(
        key=dg.AssetKey(["serving", domain]),
        group_name=domain,
        deps=list(served_marts),
        kinds={"duckdb"},
        op_tags=WAREHOUSE_WRITER_TAGS,
        description=f"Read-only snapshot of the {domain} marts that the API serves "
        f"(serving/{domain}/<version>.duckdb).",
    )
    def snapshot() -> dg.MaterializeResult:
        pin_data_dir()
        with warehouse_lock():
            publish()
        return dg.MaterializeResult(metadata=serving.row_counts(domain))

    return snapshot
