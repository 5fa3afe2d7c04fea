"""The one Definitions object of Tributary: loads ``defs/<domain>/`` and applies what holds
for every domain (resources, the in-process executor)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.lib.dbt import dbt_resource
from orchestration.lib.warehouse import WarehouseResource
from tributary.warehouse import pin_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pin_data_dir()

defs = dg.Definitions.merge(
    dg.load_from_defs_folder(path_within_project=PROJECT_ROOT / "orchestration" / "defs"),
    dg.Definitions(
        resources={
            "dbt": dbt_resource(),
            "dlt": DagsterDltResource(),
            "warehouse": WarehouseResource(),
        },
        # One process per run: every step writes the same DuckDB file, one at a time anyway,
        # and a new process per step would cost seconds of imports each.
        executor=dg.in_process_executor,
    ),
)
