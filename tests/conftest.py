"""Shared fixtures: isolated data dirs, the dbt manifest, a materialised warehouse template,
real services (skipped on a machine without them, never in CI), a real API server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tributary.settings import TributarySettings

REPO = Path(__file__).resolve().parents[1]

# Before anything imports the code location: everything a test session writes goes to a
# throwaway data dir, never to the repository's ./data.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="tributary-tests-"))
os.environ["TRIBUTARY_DATA_DIR"] = str(_SESSION_DIR / "import-time")
os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster_home")
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ.setdefault("DO_NOT_TRACK", "1")
# API servers started by tests write stderr to a file read only on failure: no access log there.
os.environ.setdefault("API_ACCESS_LOG", "false")
for var in ("GAMING_EVENTS_URL",):
    os.environ.pop(var, None)
(_SESSION_DIR / "dagster_home").mkdir(parents=True)
shutil.copy(REPO / "orchestration" / "dagster.yaml", _SESSION_DIR / "dagster_home" / "dagster.yaml")

IN_CI = TributarySettings().ci  # CI=true: a missing local service fails instead of skipping


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="rewrite generated snapshots (tests/snapshots/) instead of comparing against them",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs two workers, ``--dist loadgroup``) a module's
    tests stay on one worker, so module fixtures (a moto server, a materialised pipeline) are
    built once; every test that uses the session's SparkSession goes to one worker, so the
    suite starts one JVM, not one per worker."""
    for item in items:
        group = "spark" if "spark_session" in item.fixturenames else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """True under ``pytest --update-snapshots`` or ``TRIBUTARY_UPDATE_SNAPSHOTS=1``."""
    flag = os.environ.get("TRIBUTARY_UPDATE_SNAPSHOTS", "").lower() in ("1", "true", "yes")
    return flag or bool(request.config.getoption("--update-snapshots"))


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is missing, except in CI where it must be there."""
    if service_available(host, port):
        return
    if IN_CI:
        pytest.fail(f"{name} on {host}:{port} is required in CI but is not reachable")
    pytest.skip(f"{name} on {host}:{port} not reachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manifest_is_fresh(manifest: Path) -> bool:
    """True when the manifest is newer than every model, macro, test and project file."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    project = REPO / "dbt_project"
    sources = (
        p
        for pattern in ("*.sql", "*.yml")
        for p in project.rglob(pattern)
        if "target" not in p.relative_to(project).parts
    )
    return all(p.stat().st_mtime <= built for p in sources)


_MANIFEST = REPO / "dbt_project" / "target" / "manifest.json"


def ensure_dbt_manifest() -> Path:
    """The dbt manifest Dagster loads, parsed only when a dbt file is newer than it (`make test`
    builds it ahead, so this costs a few file stats)."""
    if not _manifest_is_fresh(_MANIFEST):
        subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"],
            cwd=REPO / "dbt_project",
            check=True,
            env={**os.environ, "DBT_PROFILES_DIR": str(REPO / "dbt_project")},
        )
        _MANIFEST.touch()
    return _MANIFEST


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The manifest, for tests and fixtures that load the code location (``orchestration``)
    or run dbt through it. Not autouse: a test that needs no dbt pays no `dbt parse`."""
    return ensure_dbt_manifest()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty TRIBUTARY_DATA_DIR for one test."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(path))
    monkeypatch.delenv("GAMING_EVENTS_URL", raising=False)
    return path


def rows(sql: str, params: list | None = None) -> list[tuple]:
    """Query the warehouse of the current data dir (read-only)."""
    from tributary import warehouse

    with warehouse.connect(read_only=True, lock=False) as con:
        return con.execute(sql, params or []).fetchall()


def run_job(name: str):
    """Execute one of the code location's jobs in process against an ephemeral instance."""
    import dagster as dg

    ensure_dbt_manifest()  # the code location reads it at import

    from orchestration.definitions import defs

    result = defs.resolve_job_def(name).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    return result


@pytest.fixture(scope="session")
def built_warehouse_template(dbt_manifest: Path) -> Path:
    """A data dir on which `gaming_refresh` ran once over an empty landing folder: all tables
    and views exist, empty. Tests copy it instead of paying a dbt build each."""
    template = _SESSION_DIR / "template"
    template.mkdir()
    previous = os.environ.get("TRIBUTARY_DATA_DIR")
    os.environ["TRIBUTARY_DATA_DIR"] = str(template)
    try:
        result = run_job("gaming_refresh")
        assert result.success
    finally:
        os.environ["TRIBUTARY_DATA_DIR"] = previous or ""
    return template


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on 127.0.0.1, one per test module (the real S3 protocol)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client_for(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """Point the standard AWS_* settings at the moto server; a boto3 client for it."""
    import boto3

    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


def start_server(cmd: list[str], log_path: Path, **popen) -> subprocess.Popen:
    """``cmd`` in a subprocess (cwd: the repo) with its stderr written to ``log_path``: a file,
    not a pipe, because a pipe nobody drains stalls the server once it is full."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file:
        return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log_file, **popen)


def wait_until_healthy(base: str, proc: subprocess.Popen, timeout: float, log_path: Path) -> None:
    """Poll ``base``/health until it answers 200; fail with the end of the server's stderr
    (``log_path``) if the process exits or ``timeout`` seconds pass first."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"API did not start: {log}")
        time.sleep(0.1)


@pytest.fixture
def built_data_dir(data_dir: Path, built_warehouse_template: Path) -> Path:
    """A fresh data dir whose warehouse already has every table and view (empty)."""
    shutil.copy(built_warehouse_template / "warehouse.duckdb", data_dir / "warehouse.duckdb")
    return data_dir


@contextmanager
def running_api(data_dir: Path, timeout: float = 30) -> Iterator[str]:
    """The real API (uvicorn in a subprocess) over ``data_dir``; yields its base URL once
    ``/health`` answers (within ``timeout`` seconds)."""
    port = free_port()
    log_path = _SESSION_DIR / "api-logs" / f"uvicorn-{port}.log"
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    proc = start_server(
        [*cmd, "--port", str(port)],
        log_path,
        env={**os.environ, "TRIBUTARY_DATA_DIR": str(data_dir)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc, timeout=timeout, log_path=log_path)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def api_server(data_dir: Path) -> Iterator[str]:
    """The real API over this test's data dir."""
    with running_api(data_dir) as base:
        yield base


# The Spark engine's fixtures (one SparkSession per test session, dbt on both targets).
from tests.spark_engine import engines, spark_session  # noqa: E402, F401
