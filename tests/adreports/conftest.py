"""Fixtures of the adreports tests: the simulated provider over real HTTP, and its config."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from simulation.adreports.server import ProviderServer, running_provider
from tests.adreports.helpers import TODAY


@pytest.fixture
def secret() -> str:
    """A refresh token nobody else uses, so it can be searched for in logs."""
    return f"rt-secret-{uuid.uuid4().hex}"


@pytest.fixture
def provider_server(secret: str) -> Iterator[ProviderServer]:
    with running_provider(refresh_token=secret, profile="none", today=TODAY) as server:
        yield server


@pytest.fixture
def adreports_env(
    provider_server: ProviderServer, secret: str, data_dir, monkeypatch: pytest.MonkeyPatch
) -> ProviderServer:
    """A data dir and every ADREPORTS_* variable pointing at the simulated provider, with
    short timeouts and backoff so faults cost milliseconds."""
    for name, value in {
        "ADREPORTS_API_URL": provider_server.url,
        "ADREPORTS_API_TOKEN": secret,
        "ADREPORTS_PAGE_SIZE": "50",
        "ADREPORTS_TIMEOUT_SECONDS": "0.5",
        "ADREPORTS_MAX_ATTEMPTS": "4",
        "ADREPORTS_BACKOFF_SECONDS": "0.01",
        "ADREPORTS_BACKOFF_MAX_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ADREPORTS_ALERT_WEBHOOK_URL", raising=False)
    return provider_server


@pytest.fixture
def day() -> dt.date:
    return TODAY - dt.timedelta(days=1)
