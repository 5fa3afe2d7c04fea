"""Typed settings: each environment variable the product reads is a field of a :class:`Settings`
class in a domain's ``settings.py`` (its docstring is the description; the README's table is
rendered from them). A class reads the environment when built: build one per use, not at import.
This module holds the platform-wide ones; every path the data dir's defaults write is below it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """An empty variable counts as unset; values are stripped."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, str_strip_whitespace=True, use_attribute_docstrings=True, frozen=True
    )


class UnderDataDir:
    """A default under the data dir, resolved when read; shown as ``$TRIBUTARY_DATA_DIR/<rel>``."""

    def __init__(self, rel: str, scheme: str = "") -> None:
        self.rel, self.scheme = rel, scheme

    def __call__(self) -> str:
        return self.scheme + str(data_dir() / self.rel)

    def __str__(self) -> str:
        return f"{self.scheme}$TRIBUTARY_DATA_DIR/{self.rel}"


class TributarySettings(Settings, env_prefix="TRIBUTARY_"):
    data_dir: Path = Path("data")
    """root of everything the embedded default writes: `warehouse.duckdb`, `landing/`, `serving/`, `dlt/`, `dbt/`, `logs/`, the Dagster home; two data dirs never share a file"""
    dagster_home: Path | None = Field(None, alias="DAGSTER_HOME")
    """Dagster's instance (run history, sensor cursors), read by Dagster; `make` sets it to `$TRIBUTARY_DATA_DIR/dagster_home` and copies `orchestration/dagster.yaml` into it"""
    dagster_pg_url: str | None = Field(None, alias="DAGSTER_PG_URL", repr=False)
    """PostgreSQL URL for Dagster's run, event and schedule storage (`postgresql+psycopg2://user:pw@host:5432/db`: with psycopg 3 its NOTIFY fails), read by Dagster; unset: SQLite in the Dagster home (`make dagster-home` writes the instance file either way)"""
    dagster_port: int = 3000
    """port of the Dagster webserver (`make serve`, the `dagster-webserver` container role)"""
    api_port: int = 8000
    """port of the API (`make serve`, the `api` container role)"""
    docs_port: int = 8080
    """port of the dbt docs site (`make serve`)"""
    code_server_host: str = "localhost"
    """host of the Dagster code server (gRPC) the webserver and daemon containers load the code location from"""
    code_server_port: int = 4000
    """port of that code server (the `code-server` container role listens on it)"""
    engine: Literal["duckdb", "spark"] = "duckdb"
    """the dbt target every model is built with: `duckdb` (the embedded warehouse) or `spark` (dbt-spark, Parquet tables under `$TRIBUTARY_DATA_DIR/spark`; see docs/spark.md)"""
    duckdb_extensions: str | None = None
    """folder dbt's DuckDB loads `httpfs` from when a lake is on S3; unset: the offline extension wheels' folder (`tributary/duck.py`), set by the orchestration"""
    ci: bool = Field(False, alias="CI")
    """when true, tests that need a local service fail instead of skipping"""


class SparkSettings(Settings, env_prefix="TRIBUTARY_SPARK_"):
    """The `spark` dbt target (``TRIBUTARY_ENGINE=spark``): dbt-spark's session method."""

    master: str = "local[*]"
    """Spark master of the session: `local[*]`, `local[2]`, or a standalone cluster such as `spark://127.0.0.1:7077` (the only change a cluster needs; `make spark-cluster` starts one)"""
    shuffle_partitions: int = 4
    """`spark.sql.shuffle.partitions` of the session (Spark's 200 is for clusters; adaptive execution coalesces either way)"""
    driver_memory: str = "1g"
    """`spark.driver.memory` (in `local[…]` mode the executors live in the driver)"""


class AwsSettings(Settings, env_prefix="AWS_"):
    """S3 for fsspec URLs and DuckDB's httpfs (boto and dbt read the same variables)."""

    access_key_id: str | None = None
    """S3 access key (standard AWS chain; instance roles work too)"""
    secret_access_key: str | None = Field(None, repr=False)
    """S3 secret key"""
    session_token: str | None = Field(None, repr=False)
    """S3 session token"""
    region: str | None = Field(None, alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    """S3 region (unset: the libraries use `us-east-1`)"""
    endpoint_url: str | None = Field(
        None, alias=AliasChoices("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    )
    """an S3-compatible endpoint (MinIO, moto, …)"""

    def fsspec_options(self) -> dict:
        """s3fs options: the endpoint, and no client cached across endpoints or credentials."""
        client = {"client_kwargs": {"endpoint_url": self.endpoint_url}} if self.endpoint_url else {}
        return {"skip_instance_cache": True, **client}


def data_dir() -> Path:
    """Root of everything the embedded default writes (``TRIBUTARY_DATA_DIR``, default ./data)."""
    # On every API request's path (the snapshot pointer), where building the class (~150 µs)
    # would be most of a lookup: it is built once per distinct raw value and working directory.
    return _data_dir(os.environ.get("TRIBUTARY_DATA_DIR"), os.getcwd())


@lru_cache(maxsize=16)
def _data_dir(raw: str | None, cwd: str) -> Path:
    return TributarySettings().data_dir.expanduser().resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse: one writer at a time, never opened by the API."""
    return data_dir() / "warehouse.duckdb"


def serving_dir(data: Path | None = None) -> Path:
    """Read-only snapshots of the marts, one DuckDB file per domain, swapped atomically
    (under ``data``, default :func:`data_dir`)."""
    return (data or data_dir()) / "serving"


def spark_dir() -> Path:
    """The Spark target's warehouse (Parquet tables) and Derby metastore."""
    return data_dir() / "spark"


def landing_dir(domain: str) -> Path:
    return data_dir() / "landing" / domain
