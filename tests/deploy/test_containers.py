"""The container deployment end to end (slow): the local base images (deploy/local-base.sh,
tarballs cached in ~/.cache/tributary), the project image (uv's downloads cached by the build's
cache mount), `podman-compose up -d` under a project name of its own on free ports, then over HTTP
the API's /health, a PUT /location that lands in the compose PostgreSQL, a materialisation
launched through Dagster's GraphQL API (run by the code server, stored in PostgreSQL), and
`down -v` leaving no container, volume or pod. Needs podman, runc and mmdebstrap (`make ci-deps`
installs them): skips without them, except in CI (CI=true), where it fails."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import IN_CI, free_port

REPO = Path(__file__).resolve().parents[2]
# A project name per run (containers, volumes and the pod are named after it) and an image tag per
# checkout: concurrent runs from other checkouts on the same machine never touch each other's.
PROJECT = f"tributary-test-{uuid.uuid4().hex[:8]}"
IMAGE = f"localhost/tributary:test-{hashlib.sha1(str(REPO).encode()).hexdigest()[:8]}"
POSTGRES_IMAGE = "localhost/tributary-postgres:test"
BASE = "localhost/debian-python:bookworm"
TOOLS = ("podman", "runc", "mmdebstrap")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def _tools_or_skip() -> None:
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing and IN_CI:
        pytest.fail(f"CI=true but {', '.join(missing)} missing: `make ci-deps` installs them")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (`make ci-deps` as root, or apt-get install)")


def _run(env: dict, *command: str, timeout: float = 1200) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=timeout)
    return time.monotonic() - started


def _image_id(env: dict, image: str) -> str | None:
    inspect = ["podman", "image", "inspect", "--format", "{{.Id}}", image]
    found = subprocess.run(inspect, env=env, capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def _leftovers(env: dict) -> str:
    label = f"label=io.podman.compose.project={PROJECT}"
    commands = (
        ["podman", "ps", "-a", "-q", "--filter", label],
        ["podman", "volume", "ls", "-q", "--filter", label],
        ["podman", "pod", "ls", "-q", "--filter", f"name=pod_{PROJECT}"],
    )
    return "".join(subprocess.check_output(c, env=env, text=True) for c in commands)


def _logs(env: dict) -> None:
    """The tail of every container's log of this project, printed when the test fails."""
    label = f"label=io.podman.compose.project={PROJECT}"
    names = subprocess.run(
        ["podman", "ps", "-a", "--filter", label, "--format", "{{.Names}} {{.Status}}"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for line in names:
        name = line.split()[0]
        logs = subprocess.run(
            ["podman", "logs", "--tail", "40", name], env=env, capture_output=True
        )
        tail = (logs.stdout + logs.stderr).decode(errors="replace")
        print(f"===== {line}\n{tail}", file=sys.stderr)


def _wait(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except (httpx.HTTPError, psycopg.OperationalError, KeyError, TypeError, IndexError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(2)


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
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


LOCATION = (
    "{ workspaceOrError { ... on Workspace { locationEntries"
    " { locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)
REPOSITORIES = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"


def _location_loaded(dagster: str) -> bool:
    """The webserver holds the code location (it starts only once the code server answers; no
    reload is needed, and a reload would restart the code server's load)."""
    data = _graphql(dagster, LOCATION)
    [entry] = data["workspaceOrError"]["locationEntries"]
    return entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"


def test_compose_stack_serves_stores_and_materialises():
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
    previous = {image: _image_id(env, image) for image in (IMAGE, POSTGRES_IMAGE)}
    figures["image"] = _run(env, *build, *base, "-t", IMAGE, ".")
    _run(env, *build, "-t", POSTGRES_IMAGE, "deploy/postgres")
    for image, old in previous.items():
        if old and old != _image_id(env, image):
            # The last run's image, untagged by the build above (layers still used stay).
            subprocess.run(["podman", "rmi", old], env=env, capture_output=True, timeout=300)
    compose = (str(Path(sys.executable).parent / "podman-compose"), "-p", PROJECT)
    api, dagster = (
        f"http://127.0.0.1:{ports[k]}" for k in ("TRIBUTARY_API_PORT", "TRIBUTARY_DAGSTER_PORT")
    )
    pg = f"postgresql://tributary:tributary@127.0.0.1:{ports['POSTGRES_PORT']}"
    passed = False
    try:
        up = time.monotonic()
        _run(env, *compose, "up", "-d", "--no-build", timeout=600)
        health = _wait("API /health", lambda: httpx.get(f"{api}/health").json(), 300)
        assert health["status"] == "ok"
        figures["api up"] = time.monotonic() - up

        point = {"timestamp": "2017-01-01 13:05:12", "lat": 40.701, "long": -73.916}
        point |= {"accuracy": 11.3, "speed": 1.4, "user_id": "compose-test"}
        response = httpx.put(f"{api}/location", json=point, timeout=30)
        assert response.status_code == 200, response.text
        with psycopg.connect(f"{pg}/location") as con:
            [(stored,)] = con.execute(
                "SELECT count(*) FROM location_points WHERE user_id = 'compose-test'"
            ).fetchall()
        assert stored == 1

        _wait("code location loaded by the webserver", lambda: _location_loaded(dagster), 600)
        figures["dagster up"] = time.monotonic() - up
        [repo] = _graphql(dagster, REPOSITORIES)["repositoriesOrError"]["nodes"]
        selector = {"repositoryLocationName": "tributary", "repositoryName": repo["name"]}
        launched = _graphql(
            dagster, LAUNCH, {"selector": {**selector, "jobName": "location_refresh"}}
        )
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["launchRun"]["run"]["runId"]
        run_started = time.monotonic()
        status = _wait(
            "location_refresh finished",
            lambda: (
                (s := _graphql(dagster, STATUS, {"id": run_id})["runOrError"]["status"])
                in ("SUCCESS", "FAILURE", "CANCELED")
                and s
            ),
            900,
        )
        assert status == "SUCCESS"
        figures["run"] = time.monotonic() - run_started
        with psycopg.connect(f"{pg}/dagster") as con:
            [(stored_status,)] = con.execute(
                "SELECT status FROM runs WHERE run_id = %s", [run_id]
            ).fetchall()
        assert stored_status == "SUCCESS"  # Dagster's run storage is the compose PostgreSQL
        passed = True
    finally:
        if not passed:
            _logs(env)
        down = time.monotonic()
        subprocess.run([*compose, "down", "-v"], cwd=REPO, env=env, timeout=600)
        figures["down"] = time.monotonic() - down
    assert _leftovers(env) == ""
    figures["total"] = time.monotonic() - started
    print("container test seconds:", {k: round(v) for k, v in figures.items()})
