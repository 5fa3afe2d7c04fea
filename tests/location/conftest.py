"""Location fixtures: a PostgreSQL database per test session (a schema per server inside it),
embedded stores in temporary data dirs, and real uvicorn servers (2 workers, own process
group so a test can kill -9 them) over either store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, require_service, start_server, wait_until_healthy

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this test session, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"tributary_location_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_schema_url(database_url: str) -> str:
    """A fresh schema in the session database, as a URL whose search_path points at it."""
    import psycopg

    schema = f"s_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    return f"{database_url}?options=-csearch_path%3D{schema}"


@dataclass
class Server:
    """A running API and the environment that names its store."""

    base: str
    env: dict[str, str]
    proc: subprocess.Popen
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's stderr (uvicorn's and the store's warnings)."""
        return self.log_path.read_text(errors="replace")[-chars:]

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@contextmanager
def api_server(
    env: dict[str, str], workers: int = 2, port: int | None = None, app: str = "api.main:app"
) -> Iterator[Server]:
    """``uvicorn <app>`` with ``workers`` processes over the store ``env`` names."""
    port = port or free_port()
    full_env = {**os.environ, **env}
    log_path = Path(env["TRIBUTARY_DATA_DIR"]) / f"uvicorn-{port}.log"
    proc = start_server(
        [
            *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(workers)),
            *("--log-level", "info", "--no-access-log"),
        ],
        log_path,
        env=full_env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    server = Server(base, env, proc, log_path)
    try:
        wait_until_healthy(base, proc, timeout=60, log_path=log_path)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def embedded_env(tmp: Path) -> dict[str, str]:
    return {"TRIBUTARY_DATA_DIR": str(tmp), "LOCATION_DB_URL": "", "LOCATION_API_KEYS": ""}


def postgres_env(tmp: Path, database_url: str) -> dict[str, str]:
    return {
        "TRIBUTARY_DATA_DIR": str(tmp),
        "LOCATION_DB_URL": pg_schema_url(database_url),
        "LOCATION_API_KEYS": "",
    }


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One server per store for a whole module; tests isolate themselves by user_id. The
    embedded one runs ``api.main:app``, the PostgreSQL one ``api.location.asgi:app``: both
    entry points pass every test."""
    tmp = tmp_path_factory.mktemp(f"location-{request.param}")
    if request.param == "embedded":
        env, app = embedded_env(tmp), "api.main:app"
    else:
        env, app = (
            postgres_env(tmp, request.getfixturevalue("pg_database")),
            "api.location.asgi:app",
        )
    with api_server(env, app=app) as running:
        yield running


@contextmanager
def store_of(env: dict[str, str]):
    """Open the store a server's environment names (directly, not through the API)."""
    from tributary.location.store import open_store

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        store = open_store()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield store
    finally:
        store.close()
