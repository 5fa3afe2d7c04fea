"""The code location as Dagster sees it, loaded in process (fast: no webserver).

- the Definitions load cleanly: no error, no warning raised from our own code, no Dagster
  beta/preview/supersession warning, nothing logged at WARNING or above;
- the asset graph (keys, groups, kinds, lineage), checks, jobs, sensors and schedules match
  ``tests/snapshots/asset_graph.json``, so a rename or a broken lineage edge shows up in review.
  After an intended change, rewrite it with ``pytest --update-snapshots`` (or
  ``TRIBUTARY_UPDATE_SNAPSHOTS=1``) and review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asset_graph import SNAPSHOT, dumps, graph_from_definitions

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("dbt_manifest")

# ---------------------------------------------------------------------------------------------
# (a) a clean load, in a fresh interpreter so import-time warnings are seen whatever ran before.

LOAD_SCRIPT = r"""
import json, logging, warnings

records = []


class Collect(logging.Handler):
    def emit(self, record):
        records.append({"logger": record.name, "level": record.levelname, "message": record.getMessage()})


logging.getLogger().addHandler(Collect(level=logging.WARNING))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import dagster as dg

    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    repo.load_all_definitions()
    defs.resolve_asset_graph()
    defs.resolve_all_job_defs()
    defs.resolve_all_asset_specs()
    jobs = sorted(repo.job_names)
print("LOAD-REPORT " + json.dumps({
    "jobs": jobs,
    "warnings": [
        {
            "filename": w.filename,
            "lineno": w.lineno,
            "category": f"{w.category.__module__}.{w.category.__qualname__}",
            "message": str(w.message),
        }
        for w in caught
    ],
    "records": records,
}))
"""

# Dagster's own warning classes (dagster_shared.utils.warnings): they fire only when our
# definitions use a beta, preview or superseded API, wherever the stack level points.
DAGSTER_API_WARNINGS = (
    "BetaWarning",
    "PreviewWarning",
    "SupersessionWarning",
    "ConfigArgumentWarning",
)


def load_report(root: Path, data_dir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT],
        cwd=root,
        env={**os.environ, "TRIBUTARY_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the Definitions failed to load:\n{proc.stderr[-4000:]}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("LOAD-REPORT "))
    return json.loads(line.removeprefix("LOAD-REPORT "))


def is_ours(filename: str, root: Path = REPO) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(root) and not path.is_relative_to(root / ".venv")


def test_definitions_load_without_errors_or_warnings(tmp_path):
    report = load_report(REPO, tmp_path / "data")

    assert "gaming_refresh" in report["jobs"]  # it really loaded our code location
    ours = [w for w in report["warnings"] if is_ours(w["filename"])]
    assert ours == []
    dagster_api = [w for w in report["warnings"] if w["category"].endswith(DAGSTER_API_WARNINGS)]
    assert dagster_api == []
    assert report["records"] == []


# ---------------------------------------------------------------------------------------------
# (b) the asset graph against its generated snapshot.


def test_asset_graph_snapshot(update_snapshots: bool):
    current = graph_from_definitions()
    assert current["assets"] and current["jobs"] and current["checks"]  # a real graph
    if update_snapshots:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(dumps(current))
        return
    assert SNAPSHOT.exists(), f"no snapshot yet: run `pytest --update-snapshots {__file__}`"
    expected = json.loads(SNAPSHOT.read_text())
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                dumps(expected).splitlines(keepends=True),
                dumps(current).splitlines(keepends=True),
                fromfile=str(SNAPSHOT.relative_to(REPO)),
                tofile="the Definitions",
            )
        )
        raise AssertionError(
            "the asset graph differs from its snapshot; if the change is intended, run "
            "`pytest --update-snapshots tests/test_definitions.py` and commit the file:\n" + diff
        )
