"""The dbt project as Dagster sees it: built once, keyed like the warehouse.

Asset keys are ``[schema, relation]`` for models (``gaming/revenue``) and
``[source, table]`` for sources (``gaming_raw/events``), which is also how the dlt assets are
keyed, so lineage joins without any mapping table. Groups follow the domain folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
)

from tributary import duck

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

# dagster-dbt looks for `dbt` on PATH in places we do not configure (prepare_if_dev): make the
# dbt installed beside this interpreter (the project venv) findable however we were started.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")
# dbt's DuckDB loads httpfs (lakes on S3) from the offline extension wheels, as every
# connection of the product does (tributary/duck.py); see macros/cross_db/lake_tables.sql.
os.environ.setdefault("TRIBUTARY_DUCKDB_EXTENSIONS", duck.extension_directory())

# The domains whose models run on each engine (``TRIBUTARY_ENGINE``); None: every domain.
# The others still read raw tables inside the DuckDB warehouse (issue 15 ports them in turn).
ENGINE_DOMAINS: dict[str, tuple[str, ...] | None] = {
    "duckdb": None,
    "spark": ("events", "commerce", "players"),
}

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is re-parsed on start; elsewhere it is built ahead of time
# (`make manifest`), so loading the code location never pays dbt's parse cost.
dbt_project.prepare_if_dev()


class TributaryDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_duplicate_source_asset_keys=True
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # a lake source names the load asset that writes it (meta.dagster.asset_key)
            for meta in ("meta", "source_meta"):
                if key := (dbt_resource_props.get(meta) or {}).get("dagster", {}).get("asset_key"):
                    return dg.AssetKey(key)
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        relation = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], relation])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        # fqn: [project, layer, domain, model]
        return fqn[2] if len(fqn) >= 4 else None


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR))
