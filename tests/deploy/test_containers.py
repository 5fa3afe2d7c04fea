"""The container deployment end to end (slow): the local base images (deploy/local-base.sh,
tarballs cached in ~/.cache/tributary), the project image, `podman-compose up -d` on free ports,
then over HTTP the API's /health, a PUT /location that lands in the compose PostgreSQL, a
materialisation launched through Dagster's GraphQL API (run by the code server, stored in
PostgreSQL), and `down -v` leaving no container or volume. Skips without podman/mmdebstrap,
except in CI (CI=true), where it fails.

Opt-in for now (TRIBUTARY_CONTAINER_TEST=1): it has not yet passed end to end on this machine
kind, and a CI machine without podman would fail the whole suite (issue 17 stays open)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import IN_CI, free_port

REPO = Path(__file__).resolve().parents[2]
PROJECT = "tributary-test"
IMAGE, POSTGRES_IMAGE = "localhost/tributary:test", "localhost/tributary-postgres:test"
BASE = "localhost/debian-python:bookworm"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def _tools_or_skip() -> None:
    if os.environ.get("TRIBUTARY_CONTAINER_TEST") != "1":
        pytest.skip("opt-in: TRIBUTARY_CONTAINER_TEST=1 (not yet green end to end; issue 17)")
    missing = [tool for tool in ("podman", "mmdebstrap", "runc") if not shutil.which(tool)]
    if missing and IN_CI:
        pytest.fail(f"CI=true but {missing} missing: apt-get install podman runc mmdebstrap")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install podman runc mmdebstrap)")


def _run(env: dict, *command: str, timeout: float = 900) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=timeout)
    return time.monotonic() - started


def _leftovers(env: dict) -> str:
    label = f"label=io.podman.compose.project={PROJECT}"
    ps = ["podman", "ps", "-a", "-q", "--filter", label]
    volumes = ["podman", "volume", "ls", "-q", "--filter", label]
    return "".join(subprocess.check_output(c, env=env, text=True) for c in (ps, volumes))


def _wait(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except (httpx.HTTPError, psycopg.OperationalError, KeyError, TypeError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(2)


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}})
    body.raise_for_status()
    assert not body.json().get("errors"), body.json()
    return body.json()["data"]


LAUNCH = """mutation Launch($selector: JobOrPipelineSelector!) {
  launchRun(executionParams: {selector: $selector}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def test_compose_stack_serves_stores_and_materialises(tmp_path):
    _tools_or_skip()
    ports = {
        name: str(free_port())
        for name in (
            "POSTGRES_PORT",
            "TRIBUTARY_API_PORT",
            "TRIBUTARY_DAGSTER_PORT",
            "TRIBUTARY_CODE_SERVER_PORT",
            "ADREPORTS_SIM_PORT",
        )
    }
    env = {
        **os.environ,
        **ports,
        "CONTAINERS_CONF": str(REPO / "deploy" / "containers.conf"),
        "TRIBUTARY_IMAGE": IMAGE,
        "POSTGRES_IMAGE": POSTGRES_IMAGE,
        "BASE_IMAGE": BASE,
    }
    started = time.monotonic()
    figures = {"base": _run(env, "deploy/local-base.sh")}
    build = ("podman", "build", "--runtime", "runc", "--network", "host", "--quiet")
    base = ("--build-arg", f"BASE_IMAGE={BASE}")
    figures["image"] = _run(env, *build, *base, "-t", IMAGE, ".")
    _run(env, *build, "-t", POSTGRES_IMAGE, "deploy/postgres")
    compose = (str(Path(sys.executable).parent / "podman-compose"), "-p", PROJECT)
    api, dagster = (
        f"http://127.0.0.1:{ports[k]}" for k in ("TRIBUTARY_API_PORT", "TRIBUTARY_DAGSTER_PORT")
    )
    pg = f"postgresql://tributary:tributary@127.0.0.1:{ports['POSTGRES_PORT']}"
    try:
        _run(env, *compose, "up", "-d", "--no-build")
        health = _wait("API /health", lambda: httpx.get(f"{api}/health").json(), 240)
        assert health["status"] == "ok"

        point = {"timestamp": "2017-01-01 13:05:12", "lat": 40.701, "long": -73.916}
        point |= {"accuracy": 11.3, "speed": 1.4, "user_id": "compose-test"}
        response = httpx.put(f"{api}/location", json=point)
        assert response.status_code == 200, response.text
        with psycopg.connect(f"{pg}/location") as con:
            [(stored,)] = con.execute(
                "SELECT count(*) FROM location_points WHERE user_id = 'compose-test'"
            ).fetchall()
        assert stored == 1

        # A webserver that started before the code server keeps the load error until reloaded.
        reload = 'mutation { reloadRepositoryLocation(repositoryLocationName: "tributary") { __typename } }'
        _wait(
            "code location loaded",
            lambda: (
                _graphql(dagster, reload)
                and _graphql(
                    dagster,
                    "{ workspaceOrError { ... on Workspace { locationEntries"
                    " { locationOrLoadError { __typename } } } } }",
                )["workspaceOrError"]["locationEntries"][0]["locationOrLoadError"]["__typename"]
                == "RepositoryLocation"
            ),
            240,
        )
        repos = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"
        [repo] = _graphql(dagster, repos)["repositoriesOrError"]["nodes"]
        selector = {"repositoryLocationName": "tributary", "repositoryName": repo["name"]}
        launched = _graphql(
            dagster, LAUNCH, {"selector": {**selector, "jobName": "location_refresh"}}
        )
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["launchRun"]["run"]["runId"]
        status = _wait(
            "location_refresh finished",
            lambda: (
                (s := _graphql(dagster, STATUS, {"id": run_id})["runOrError"]["status"])
                in ("SUCCESS", "FAILURE", "CANCELED")
                and s
            ),
            600,
        )
        assert status == "SUCCESS"
        with psycopg.connect(f"{pg}/dagster") as con:
            [(stored_status,)] = con.execute(
                "SELECT status FROM runs WHERE run_id = %s", [run_id]
            ).fetchall()
        assert stored_status == "SUCCESS"  # Dagster's run storage is the compose PostgreSQL
    finally:
        subprocess.run([*compose, "down", "-v"], cwd=REPO, env=env, timeout=300)
    assert _leftovers(env) == ""
    figures["total"] = time.monotonic() - started
    print("container test seconds:", {k: round(v) for k, v in figures.items()})
