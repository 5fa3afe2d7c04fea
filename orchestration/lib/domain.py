"""Factories for what every file-based domain has: the reconciliation check on its raw load
and the serving-snapshot asset the API reads."""

from collections.abc import Callable, Sequence

import dagster as dg
import duckdb

from loaders.common import open_warehouse
from loaders.incremental_files import Reconciliation
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary import serving
from tributary.locking import warehouse_lock


def reconciliation_check(
    raw_events: dg.AssetKey,
    reconcile: Callable[[duckdb.DuckDBPyConnection], Reconciliation],
    description: str,
) -> dg.AssetChecksDefinition:
    """Blocking check ``lines_reconcile``: every line read is accounted for, and landed."""

    @dg.asset_check(
        asset=raw_events, name="lines_reconcile", blocking=True, description=description
    )
    def lines_reconcile() -> dg.AssetCheckResult:
        with warehouse_lock():
            con = open_warehouse(read_only=True)
            try:
                result = reconcile(con)
            finally:
                con.close()
        return reconciliation_result(result)

    return lines_reconcile


def reconciliation_result(result: Reconciliation) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=result.passed, metadata=dict(vars(result)))


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
