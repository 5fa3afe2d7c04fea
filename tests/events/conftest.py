"""Fixtures of the events tests: an isolated data dir with its landing folder and lake."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def events_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """EVENTS_URL and EVENTS_LAKE_URL inside this test's data dir (no NATS, no S3)."""
    landing = data_dir / "landing" / "events"
    lake = data_dir / "lake" / "events"
    landing.mkdir(parents=True)
    for var in ("EVENTS_NATS_URL", "AWS_ENDPOINT_URL", "EVENTS_BATCH_BYTES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EVENTS_URL", str(landing))
    monkeypatch.setenv("EVENTS_LAKE_URL", str(lake))
    return {"landing": landing, "lake": lake, "data": data_dir}
