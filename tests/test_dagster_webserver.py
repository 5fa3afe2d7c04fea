"""A real ``dagster-webserver`` serving the code location lists, over its GraphQL API, exactly
what the in-process Definitions contain, and logs no error or warning (slow: it starts the
webserver and its code server). The in-process checks are in ``test_definitions.py``."""

from __future__ import annotations

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

from tests.asset_graph import graph_from_definitions, graph_from_webserver
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

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
    kinds
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
def webserver(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Iterator[Webserver]:
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
