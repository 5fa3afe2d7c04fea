"""Every dbt model of the project as one multi-asset, grouped by domain (``fqn``).

One asset definition means one ``dbt build`` per run whatever it selects: a domain's refresh
job builds that domain's models (a subset), ``make materialize`` builds all of them in one
invocation instead of paying dbt's start-up once per domain.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.lib.dbt import TributaryDbtTranslator, dbt_project
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, WarehouseResource
from tributary import settings


@dbt_assets(
    manifest=dbt_project.manifest_path,
    name="dbt_models",
    dagster_dbt_translator=TributaryDbtTranslator(),
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """``dbt build`` of the selected models with their tests (as asset checks), holding the
    warehouse lock.

    Artefacts go to ``$TRIBUTARY_DATA_DIR/dbt/target`` (``target-spark`` on the Spark engine):
    one stable folder per data dir and engine keeps dbt's partial-parse cache warm (a fresh
    folder per run re-parses the whole project), and the lock means only one dbt invocation
    uses it at a time. The profile's target is ``TRIBUTARY_ENGINE`` (dbt reads it itself).
    """
    with warehouse.locked():
        engine = settings.TributarySettings().engine
        target = (
            settings.data_dir() / "dbt" / ("target" if engine == "duckdb" else f"target-{engine}")
        )
        yield from dbt.cli(["build"], context=context, target_path=target).stream()
