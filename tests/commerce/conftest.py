"""Fixtures of the commerce tests: an isolated environment per data dir, a throwaway
PostgreSQL database per session, and one pipeline run shared by the read-only tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commerce.edge import write_edge_cases
from tests.conftest import require_service

COMMERCE_VARS = ("COMMERCE_DB_URL", "COMMERCE_VIEWS_URL", "COMMERCE_TIMEZONE")


@dataclass
class CommerceEnv:
    data_dir: Path
    inputs: Path  # views/<platform>/… and shop/*.csv

    @property
    def views(self) -> Path:
        return self.inputs / "views"


def activate(monkeypatch: pytest.MonkeyPatch, data_dir: Path, inputs: Path, db_url: str | None):
    for var in COMMERCE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COMMERCE_VIEWS_URL", str(inputs / "views"))
    if db_url:
        monkeypatch.setenv("COMMERCE_DB_URL", db_url)


@pytest.fixture
def commerce_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CommerceEnv:
    """A fresh data dir with the embedded defaults (SQLite shop DB) and an inputs folder."""
    data, inputs = tmp_path / "data", tmp_path / "inputs"
    data.mkdir()
    (inputs / "views").mkdir(parents=True)
    activate(monkeypatch, data, inputs, None)
    return CommerceEnv(data, inputs)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A uniquely named database on the local PostgreSQL, dropped after the session."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg2

    name = f"tributary_commerce_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


def drop_shop_tables(url: str) -> None:
    """Empty the session's PostgreSQL database again (tests share it one after another)."""
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    try:
        with eng.begin() as con:
            con.execute(sa.text("DROP TABLE IF EXISTS order_items; DROP TABLE IF EXISTS orders"))
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def api_base(loaded_run: LoadedRun) -> Iterator[str]:
    """The real API (uvicorn) over the shared run's data dir."""
    from tests.conftest import running_api

    with running_api(loaded_run.env.data_dir) as base:
        yield base


@dataclass
class LoadedRun:
    env: CommerceEnv
    result: object
    edge: dict


@pytest.fixture(scope="session")
def loaded_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedRun]:
    """Generated sample + hand-made edge cases, loaded into SQLite and run through
    ``commerce_refresh`` once (shared by the read-only tests of the session)."""
    from loaders.commerce.shop_db import load_exports
    from simulation.commerce.generator import write_sample
    from tests.conftest import run_job

    root = tmp_path_factory.mktemp("commerce-run")
    data, inputs = root / "data", root / "inputs"
    data.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        activate(mp, data, inputs, None)
        write_sample(inputs, products=300, views=6000, days=3, start="2016-01-04", seed=5)
        edge = write_edge_cases(inputs)
        load_exports(inputs / "shop" / "orders.csv", inputs / "shop" / "order_items.csv")
        load_exports(edge["orders_csv"], edge["items_csv"])
        result = run_job("commerce_refresh")
    # The environment is restored before the tests run: each activates what it needs.
    yield LoadedRun(CommerceEnv(data, inputs), result, edge)
