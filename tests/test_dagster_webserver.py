"""The code location as Dagster sees it.

- the Definitions load cleanly: no error, no warning raised from our own code, no Dagster
  beta/preview/supersession warning, nothing logged at WARNING or above;
- the asset graph, checks, jobs, sensors and schedules match a literal written below, so a
  rename or a broken lineage edge shows up in review;
- a real ``dagster-webserver`` serving the code location lists, over its GraphQL API, exactly
  what the in-process Definitions contain.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

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
# (b) the asset graph as a literal.

_GAMING_RAW = [
    "gaming_raw/events",
    "gaming_raw/file_loads",
    "gaming_raw/files",
    "gaming_raw/quarantine",
]
_GAMING_ALL = sorted(
    [
        "gaming/quarantine",
        "gaming/revenue",
        "gaming/user",
        "gaming/user_events",
        *_GAMING_RAW,
        "intermediate/int_gaming__current_events",
        "intermediate/int_gaming__current_quarantine",
        "serving/gaming",
        "staging/stg_gaming__events",
        "staging/stg_gaming__files",
        "staging/stg_gaming__quarantine",
    ]
)

EXPECTED_GRAPH = {
    # asset key -> group and upstream asset keys
    "assets": {
        "gaming/quarantine": {
            "group": "gaming",
            "deps": ["intermediate/int_gaming__current_quarantine"],
        },
        "gaming/revenue": {"group": "gaming", "deps": ["intermediate/int_gaming__current_events"]},
        "gaming/user": {"group": "gaming", "deps": ["gaming/user_events"]},
        "gaming/user_events": {
            "group": "gaming",
            "deps": ["intermediate/int_gaming__current_events"],
        },
        "gaming_raw/events": {"group": "gaming", "deps": []},
        "gaming_raw/file_loads": {"group": "gaming", "deps": []},
        "gaming_raw/files": {"group": "gaming", "deps": []},
        "gaming_raw/quarantine": {"group": "gaming", "deps": []},
        "intermediate/int_gaming__current_events": {
            "group": "gaming",
            "deps": ["staging/stg_gaming__events", "staging/stg_gaming__files"],
        },
        "intermediate/int_gaming__current_quarantine": {
            "group": "gaming",
            "deps": ["staging/stg_gaming__files", "staging/stg_gaming__quarantine"],
        },
        "serving/gaming": {"group": "gaming", "deps": ["gaming/revenue", "gaming/user_events"]},
        "staging/stg_gaming__events": {"group": "gaming", "deps": ["gaming_raw/events"]},
        "staging/stg_gaming__files": {"group": "gaming", "deps": ["gaming_raw/files"]},
        "staging/stg_gaming__quarantine": {"group": "gaming", "deps": ["gaming_raw/quarantine"]},
    },
    # "asset key:check name" -> blocking
    "checks": {
        "gaming/quarantine:not_null_gaming_quarantine_reason": True,
        "gaming/quarantine:not_null_gaming_quarantine_source_file": True,
        "gaming/revenue:not_null_gaming_revenue_total_spend": True,
        "gaming/revenue:not_null_gaming_revenue_user": True,
        "gaming/revenue:text_matches_gaming_revenue_total_spend___0_9_0_9_2_": True,
        "gaming/revenue:unique_gaming_revenue_user": True,
        "gaming/user:not_null_gaming_user_evtname": True,
        "gaming/user:not_null_gaming_user_timestamp": True,
        "gaming/user:not_null_gaming_user_user": True,
        "gaming/user_events:not_null_gaming_user_events_evtname": True,
        "gaming/user_events:not_null_gaming_user_events_timestamp": True,
        "gaming/user_events:not_null_gaming_user_events_user": True,
        "gaming/user_events:unique_combination_gaming_user_events_source_file__line_number": True,
        "gaming_raw/events:lines_reconcile": True,
        "intermediate/int_gaming__current_events:"
        "unique_combination_int_gaming__current_events_source_file__line_number": True,
        "intermediate/int_gaming__current_quarantine:"
        "unique_combination_int_gaming__current_quarantine_source_file__line_number": True,
        "staging/stg_gaming__files:assert_gaming_lines_reconcile": True,
        "staging/stg_gaming__files:not_null_stg_gaming__files_source_file": True,
        "staging/stg_gaming__files:unique_stg_gaming__files_source_file": True,
    },
    # job -> the assets it materialises (Dagster's implicit "__ASSET_JOB" left out)
    "jobs": {"gaming_refresh": _GAMING_ALL},
    # sensor -> the assets and jobs it targets, and its default status
    "sensors": {"gaming_landing_sensor": {"assets": _GAMING_RAW, "jobs": [], "status": "RUNNING"}},
    "schedules": [],
}


def _user_job(name: str) -> bool:
    return not name.startswith("__")


def graph_from_definitions() -> dict:
    """The summary above, taken from the in-process Definitions."""
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(k.to_user_string() for k in graph.get(key).parent_keys),
        }
        for key in graph.get_all_asset_keys()
    }
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
    }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        for job in defs.resolve_all_job_defs()
        if _user_job(job.name)
    }
    sensors = {
        sensor.name: {
            "assets": sorted(k.to_user_string() for k in sensor.asset_selection.resolve(graph))
            if sensor.asset_selection is not None
            else [],
            "jobs": sorted(
                n for n in (sensor.job_names if sensor.has_jobs else []) if _user_job(n)
            ),
            "status": sensor.default_status.value,
        }
        for sensor in repo.sensor_defs
    }
    schedules = sorted(s.name for s in repo.schedule_defs)
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "sensors": sensors,
        "schedules": schedules,
    }


def test_asset_graph_snapshot():
    assert graph_from_definitions() == EXPECTED_GRAPH


# ---------------------------------------------------------------------------------------------
# (c) a real webserver.

GRAPH_QUERY = """
query CodeLocationSummary {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message stack } }
      }
    }
    ... on PythonError { message }
  }
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name }
        sensors {
          name
          defaultStatus
          targets { pipelineName }
          assetSelection { assetKeys { path } }
        }
        schedules { name }
      }
    }
    ... on PythonError { message }
  }
  assetNodes {
    assetKey { path }
    groupName
    dependencyKeys { path }
    jobNames
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking } }
      ... on Error { message }
    }
  }
}
"""


class Webserver:
    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log

    def graphql(self, query: str) -> dict:
        import httpx

        response = httpx.post(f"{self.base}/graphql", json={"query": query}, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def log_text(self) -> str:
        return re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))


def _location_loaded(server: Webserver) -> bool:
    workspace = server.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
    )
    entries = workspace["workspaceOrError"].get("locationEntries") or []
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    """``dagster-webserver`` (code location from ``[tool.dagster]``) in its own process group, over a
    throwaway data dir and DAGSTER_HOME; stopped (with its code server) at the end."""
    import httpx

    root = tmp_path_factory.mktemp("webserver")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    log = root / "webserver.log"
    port = free_port()
    env = {**os.environ, "TRIBUTARY_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(home)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "dagster-webserver"),
                *("-h", "127.0.0.1", "-p", str(port)),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Webserver(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(
                    f"{server.base}/server_info", timeout=2
                ).status_code == 200 and _location_loaded(server):
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(
                    f"dagster-webserver exited ({proc.returncode}):\n{server.log_text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dagster-webserver not ready within 90 s:\n{server.log_text()[-4000:]}"
                )
            time.sleep(0.5)
        yield server
    finally:
        # The whole process group: the webserver and the code server it started.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def graph_from_webserver(data: dict) -> dict:
    """The same summary as ``graph_from_definitions``, from the GraphQL answer."""
    [repository] = data["repositoriesOrError"]["nodes"]
    nodes = data["assetNodes"]

    def key(node: dict) -> str:
        return "/".join(node["path"])

    assets = {
        key(n["assetKey"]): {
            "group": n["groupName"],
            "deps": sorted(key(d) for d in n["dependencyKeys"]),
        }
        for n in nodes
    }
    checks = {}
    for n in nodes:
        result = n["assetChecksOrError"]
        assert result["__typename"] == "AssetChecks", result
        for c in result["checks"]:
            checks[f"{key(n['assetKey'])}:{c['name']}"] = c["blocking"]
    jobs = {
        job["name"]: sorted(key(n["assetKey"]) for n in nodes if job["name"] in n["jobNames"])
        for job in repository["jobs"]
        if _user_job(job["name"])
    }
    sensors = {
        s["name"]: {
            "assets": sorted(key(k) for k in (s["assetSelection"] or {}).get("assetKeys", [])),
            "jobs": sorted(
                t["pipelineName"] for t in s["targets"] or [] if _user_job(t["pipelineName"])
            ),
            "status": s["defaultStatus"],
        }
        for s in repository["sensors"]
    }
    schedules = sorted(s["name"] for s in repository["schedules"])
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "sensors": sensors,
        "schedules": schedules,
    }


@pytest.mark.slow
def test_webserver_lists_exactly_the_definitions(webserver):
    data = webserver.graphql(GRAPH_QUERY)

    [entry] = data["workspaceOrError"]["locationEntries"]
    assert entry["name"] == "tributary"
    assert entry["loadStatus"] == "LOADED"
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
    [repository] = data["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "tributary"

    served = graph_from_webserver(data)
    assert served["jobs"] and served["assets"] and served["checks"]  # not two empty summaries
    assert served == graph_from_definitions()

    log = webserver.log_text()
    problems = [
        line for line in log.splitlines() if re.search(r" - (ERROR|CRITICAL) - |Traceback", line)
    ]
    assert problems == []


@pytest.mark.slow
def test_webserver_log_has_no_warnings(webserver):
    webserver.graphql(GRAPH_QUERY)  # load everything once more
    log = webserver.log_text()
    warnings = sorted(
        {line.split(" - ", 3)[-1] for line in log.splitlines() if " - WARNING - " in line}
    )
    assert warnings == []
