"""Typed settings: every environment variable the product reads is a field of a
:class:`Settings` class (type, default, one-line description), one class per domain in its
``settings.py``; the README's configuration table is rendered from them
(``scripts/settings_table.py``).

Settings are read when a class is constructed, so construct one per use (``GamingSettings()``),
not at import: a test or a CLI can repoint the platform by setting a variable. This module holds
the platform-wide ones and where things live: every path the embedded default writes is derived
from ``TRIBUTARY_DATA_DIR`` so two data dirs never touch each other's files.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Base of every settings class: an empty variable counts as unset, values are stripped."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, str_strip_whitespace=True, extra="ignore", frozen=True
    )


class UnderDataDir:
    """A default below the data dir, resolved when the settings are read; shown in the README as
    ``$TRIBUTARY_DATA_DIR/<rel>``."""

    def __init__(self, rel: str, scheme: str = "") -> None:
        self.rel, self.scheme = rel, scheme

    def __call__(self, fields: dict) -> str:
        # ``fields``: those validated so far, holding the data dir itself in TributarySettings.
        base = fields["data_dir"].expanduser().resolve() if "data_dir" in fields else data_dir()
        return self.scheme + str(base / self.rel)

    def __str__(self) -> str:
        return f"{self.scheme}$TRIBUTARY_DATA_DIR/{self.rel}"


class TributarySettings(Settings):
    """Platform-wide settings."""

    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_")

    data_dir: Path = Field(
        Path("data"),
        description="root of everything the embedded default writes: `warehouse.duckdb`, `landing/`, `serving/`, `dlt/`, `dbt/`, `logs/`, the Dagster home; two data dirs never share a file",
    )
    dagster_home: Path = Field(
        default_factory=UnderDataDir("dagster_home"),
        validation_alias="DAGSTER_HOME",
        description="Dagster instance (run history, sensor cursors); `make` copies `orchestration/dagster.yaml` into it",
    )
    ci: bool = Field(
        False,
        validation_alias="CI",
        description="when true, tests that need a local service fail instead of skipping",
    )


class AwsSettings(Settings):
    """S3 access for every fsspec URL and DuckDB's httpfs (the standard ``AWS_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="AWS_")

    access_key_id: str | None = Field(
        None, description="S3 access key (standard AWS chain; instance roles work too)"
    )
    secret_access_key: SecretStr | None = Field(None, description="S3 secret key")
    session_token: SecretStr | None = Field(None, description="S3 session token")
    region: str | None = Field(
        None,
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        description="S3 region (unset: the libraries use `us-east-1`)",
    )
    endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
        description="an S3-compatible endpoint (MinIO, moto, …)",
    )

    def fsspec_options(self) -> dict:
        """s3fs options: the endpoint, and never a client cached across endpoints or
        credentials (tests switch them)."""
        options: dict = {"skip_instance_cache": True}
        if self.endpoint_url:
            options["client_kwargs"] = {"endpoint_url": self.endpoint_url}
        return options


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


def serving_dir() -> Path:
    """Read-only snapshots of the marts, one DuckDB file per domain, swapped atomically."""
    return data_dir() / "serving"


def landing_dir(domain: str) -> Path:
    return data_dir() / "landing" / domain


def dlt_pipelines_dir() -> Path:
    """dlt's working folder (load packages, local state), kept per data dir."""
    return data_dir() / "dlt"


def dagster_home() -> Path:
    return Path(TributarySettings().dagster_home)
