"""dlt resources as Dagster assets keyed ``[dataset, table]``, matching the dbt sources."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData


class WarehouseDltTranslator(DagsterDltTranslator):
    def __init__(self, dataset: str, group: str) -> None:
        self.dataset = dataset
        self.group = group

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey([self.dataset, data.resource.name]),
            group_name=self.group,
            deps=[],
        ).merge_attributes(kinds={"duckdb"})
