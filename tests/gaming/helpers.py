"""Small helpers for the gaming tests: land files, load them, read tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loaders.file_domain import load_once
from loaders.gaming import pipeline as gaming
from tests.conftest import rows
from tributary import settings
from tributary.realtime import RealtimeReader


def landing() -> Path:
    path = settings.landing_dir("gaming")
    path.mkdir(parents=True, exist_ok=True)
    return path


def land(name: str, lines: list[Any], folder: Path | None = None) -> Path:
    """Write a JSON-lines file atomically; dicts are JSON-encoded, strings written verbatim."""
    folder = folder or landing()
    text = "\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines)
    path = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load(url: str | None = None, max_files: int | None = None) -> gaming.LoadPlan:
    """One incremental load + real-time store catch-up, as the CLI and the sensor do it; the
    served store must then hold exactly the dbt marts' rows."""
    plan = load_once(gaming.DOMAIN, url=url, max_files=max_files).plan
    assert store_snapshot() == mart_snapshot()
    return plan


def store_rows(sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on the real-time store, as the API reads it."""
    con = RealtimeReader("gaming").cursor()
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def store_snapshot() -> dict[str, list[tuple]]:
    """The real-time store's tables in the shape of :func:`mart_snapshot`."""
    return {
        "user": sorted(store_rows('SELECT "user", "timestamp", evtname FROM "user"')),
        "revenue": sorted(store_rows('SELECT "user", total_spend FROM revenue')),
        "quarantine": sorted(
            store_rows("SELECT source_file, line_number, raw, reason FROM quarantine")
        ),
    }


def mart_snapshot() -> dict[str, list[tuple]]:
    """Every gaming mart, sorted: for comparing whole states."""
    return {
        "user": sorted(rows('SELECT * FROM gaming."user"')),
        "revenue": sorted(rows("SELECT * FROM gaming.revenue")),
        "quarantine": sorted(
            rows("SELECT source_file, line_number, raw, reason FROM gaming.quarantine")
        ),
    }


def event(
    user: str, ts: str = "2017-12-19 10:41:49", evtname: str = "iap", spend: Any = None
) -> dict:
    e = {"user": user, "timestamp": ts, "evtname": evtname}
    if spend is not None:
        e["spend"] = spend
    return e
