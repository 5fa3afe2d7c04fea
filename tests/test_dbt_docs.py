"""The dbt docs site: `dbt docs generate` succeeds on a built warehouse and documents lineage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_generate_documents_every_model_and_column(built_data_dir, tmp_path):
    target = tmp_path / "docs"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "docs",
            "generate",
            "--quiet",
            "--target-path",
            str(target),
        ],
        cwd=REPO / "dbt_project",
        env={
            **os.environ,
            "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
            "DBT_LOG_PATH": str(tmp_path),
        },
        check=True,
    )
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    assert models
    for key, node in models.items():
        assert node["description"].strip(), f"{key} has no description"
        documented = {c for c, spec in node["columns"].items() if spec["description"].strip()}
        if key not in catalog["nodes"]:
            continue  # a model of another domain that this warehouse has not built
        in_warehouse = {c.lower() for c in catalog["nodes"][key]["columns"]}
        assert in_warehouse <= documented, (
            f"{key}: undocumented columns {in_warehouse - documented}"
        )
    assert {k for k in models if "gaming" in k} <= catalog["nodes"].keys()
    # Lineage: the revenue mart hangs off the dlt-loaded source through staging.
    revenue = models["model.tributary.gaming_revenue"]
    assert revenue["depends_on"]["nodes"] == ["model.tributary.int_gaming__current_events"]
    assert (
        "source.tributary.gaming_raw.events"
        in manifest["parent_map"]["model.tributary.stg_gaming__events"]
    )
