"""Factories for what every domain has: the reconciliation check on its raw load, the
serving-snapshot asset the API reads and the refresh job; and, for a file-fed domain, all
of it from its :class:`~loaders.file_domain.FileDomain` (the dlt asset runs
:func:`~loaders.file_domain.load_once`, the CLI's load). The dbt models are one multi-asset
for every domain (``orchestration/defs/dbt.py``)."""

from collections.abc import Callable, Sequence

import dagster as dg
import duckdb
from dagster_dlt import DagsterDltResource, dlt_assets

from loaders.batched_load import LoadReport
from loaders.file_domain import FileDomain, Reconciled, load_once
from orchestration.lib.dlt import WarehouseDltTranslator
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, WarehouseResource
from tributary import serving


def reconciliation_check(
    asset: dg.AssetKey,
    reconcile: Callable[[duckdb.DuckDBPyConnection], Reconciled],
    description: str,
    name: str = "lines_reconcile",
) -> dg.AssetChecksDefinition:
    """Blocking check ``name`` on ``asset``: ``reconcile`` (any result with ``passed``; its
    fields become the metadata) over a read-only warehouse, under the warehouse lock."""

    @dg.asset_check(asset=asset, name=name, blocking=True, description=description)
    def check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            return reconciliation_result(reconcile(con))

    return check


def reconciliation_result(result: Reconciled) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=result.passed, metadata=dict(vars(result)))


def serving_snapshot_asset(
    domain: str,
    served_marts: Sequence[str],
    publish: Callable[[], object],
    metadata: Callable[[], dict] | None = None,
    description: str | None = None,
) -> dg.AssetsDefinition:
    """``serving/<domain>``: the read-only snapshot of the marts (``schema/table``) the API
    serves (``metadata``: what to report after a publish; default the snapshot's row
    counts)."""

    @dg.asset(
        key=dg.AssetKey(["serving", domain]),
        group_name=domain,
        deps=[dg.AssetKey.from_user_string(m) for m in served_marts],
        kinds={"duckdb"},
        op_tags=WAREHOUSE_WRITER_TAGS,
        description=description
        or f"Read-only snapshot of the {domain} marts that the API serves "
        f"(serving/{domain}/<version>.duckdb).",
    )
    def snapshot(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.locked():
            publish()
        counts = metadata() if metadata else serving.row_counts(domain)
        return dg.MaterializeResult(metadata=counts)

    return snapshot


def refresh_job(
    domain: str,
    description: str,
    selection: dg.AssetSelection | None = None,
    tags: dict[str, str] | None = None,
):
    """``<domain>_refresh``: everything in the domain's group (or ``selection``) in dependency
    order, tagged as a warehouse writer (the run queue lets one run at a time)."""
    return dg.define_asset_job(
        name=f"{domain}_refresh",
        selection=selection or dg.AssetSelection.groups(domain),
        tags={**WAREHOUSE_WRITER_TAGS, **(tags or {})},
        description=description,
    )


def file_load_asset(spec: FileDomain) -> dg.AssetsDefinition:
    """``<dataset>``: the dlt load of every pending file (``load_once`` without its check,
    which is the blocking asset check, and without publishing, the serving asset's job)."""

    def load(
        context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource
    ):
        events: list = []

        def run(pipeline, plan) -> None:
            context.log.info(
                "%d files listed, %d pending (%d rewritten)",
                plan.listed,
                len(plan.pending),
                len(plan.rewritten),
            )
            events.extend(dlt.run(context, dlt_source=plan.source(), dlt_pipeline=pipeline))

        done = load_once(
            spec, lock_timeout=warehouse.lock_timeout_seconds, check=False, publish=False, run=run
        )
        context.log.info("loaded %s", done.report)
        if spec.write is not None:  # the domain wrote its tables itself: no dlt events
            events.extend(written_tables(context, done.report))
        yield from events

    load.__doc__ = spec.description
    return dlt_assets(
        dlt_source=spec.source(),
        dlt_pipeline=spec.pipeline(),
        name=spec.dataset,
        dagster_dlt_translator=WarehouseDltTranslator(spec.dataset, spec.name),
        op_tags=WAREHOUSE_WRITER_TAGS,
    )(load)


def written_tables(context: dg.AssetExecutionContext, load: LoadReport) -> list:
    """A materialisation of each selected table a domain's own writer loaded, with what the
    load read (the metadata its landing sensor reports too)."""
    rows = {"events": load.valid, "quarantine": load.quarantined}
    return [
        dg.MaterializeResult(
            asset_key=key,
            metadata={
                "batch_ids": ", ".join(load.batch_ids),
                "files": load.files,
                "rewritten": load.rewritten,
                "rows_loaded": rows.get(key.path[-1], load.files),
                "seconds": load.seconds,
            },
        )
        for key in sorted(context.selected_asset_keys)
    ]


def file_domain_assets(
    spec: FileDomain,
) -> tuple[dg.AssetsDefinition, dg.AssetChecksDefinition, dg.AssetsDefinition]:
    """The dlt load, its blocking reconciliation check and the serving snapshot of a
    file-fed domain."""
    raw = dg.AssetKey([spec.dataset, spec.rows_table])
    return (
        file_load_asset(spec),
        reconciliation_check(raw, spec.reconcile, spec.check_description, spec.check_name),
        serving_snapshot_asset(
            spec.name,
            spec.served_marts,
            spec.publish,
            spec.served_metadata,
            spec.served_description,
        ),
    )
