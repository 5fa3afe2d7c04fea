"""Small helpers for the players tests: land files, run the refresh job, read tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loaders.players.settings import PlayersSettings
from tests.conftest import rows


def land(name: str, lines: list[Any]) -> Path:
    """Write a JSON-lines event file atomically; dicts are JSON-encoded, strings verbatim."""
    folder = Path(PlayersSettings().events_url)
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
    path = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def land_timezones(zones: dict[str, str]) -> None:
    path = Path(PlayersSettings().timezones_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps({"country": c, "timezone": z}) + "\n" for c, z in zones.items())
    )


def marts() -> dict[str, list[tuple]]:
    """Every players mart, sorted: for comparing whole states."""
    return {
        name: rows(f"SELECT * FROM players.{name} ORDER BY ALL")
        for name in ("registration_data", "session_data", "match_data", "quarantine")
    } | {"game_stats": rows("SELECT * FROM players.game_stats ORDER BY stats_date NULLS FIRST")}


def event(event_id: int, ts: int, event_type: str, **data: Any) -> dict:
    return {
        "event_id": event_id,
        "event_timestamp": ts,
        "event_type": event_type,
        "event_data": data,
    }


def ping(event_id: int, ts: int, user: str, kind: str = "") -> dict:
    return event(event_id, ts, "session_ping", user_id=user, type=kind)


def match(event_id: int, ts: int, match_id: str, home: str, away: str, goals=(None, None)) -> dict:
    return event(
        event_id,
        ts,
        "match",
        match_id=match_id,
        home_user_id=home,
        away_user_id=away,
        home_goals_scored=goals[0],
        away_goals_scored=goals[1],
    )
