"""Generate a season of player events (JSON lines) with each known defect mixed in.

Users register, play sessions (a ping when the game opens and every 60 s, sometimes closer,
sometimes exactly 60 s, with gaps that split sessions) and matches against each other (a start
event with null goals and an end event with goals). Then every defect the cleaning rules know
is injected a few times. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

SEASON_START = int(datetime(2024, 9, 1, tzinfo=UTC).timestamp())
SEASON_DAYS = 30
DAY = 86_400

TIMEZONES = {
    "US": "America/New_York",
    "DE": "Europe/Berlin",
    "BR": "America/Sao_Paulo",
    "JP": "Asia/Tokyo",
    "IN": "Asia/Kolkata",
    "AU": "Australia/Sydney",
    "GB": "Europe/London",
    "HR": "Europe/Zagreb",
}
DEVICES = ["iOS", "Android", "Web"]


@dataclass
class Season:
    """The generated input: raw lines in input order, and the time-zone file."""

    lines: list[str]
    timezones: dict[str, str]
    users: list[str]
    defects: dict[str, int] = field(default_factory=dict)


def _user_id(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Events:
    def __init__(self) -> None:
        self.next_id = 1
        self.events: list[dict] = []

    def add(self, ts: int, event_type: str, data: dict) -> dict:
        event = {
            "event_id": self.next_id,
            "event_timestamp": ts,
            "event_type": event_type,
            "event_data": data,
        }
        self.next_id += 1
        self.events.append(event)
        return event


def _sessions(rng: random.Random, ev: _Events, user: str, registered: int) -> None:
    t = registered + rng.randint(30, 3_600)
    end_of_season = SEASON_START + SEASON_DAYS * DAY
    for _ in range(rng.randint(1, 12)):
        if t >= end_of_season:
            return
        pings = rng.randint(1, 25)
        for i in range(pings):
            kind = "session_start" if i == 0 else "session_end" if i == pings - 1 else ""
            ev.add(t, "session_ping", {"user_id": user, "type": kind})
            t += rng.choice([60, 60, 60, 59, 30, 45])  # exactly 60 s or closer: same session
        t += rng.choice([61, 61, 120, 3_600, 20_000, DAY, 2 * DAY])  # > 60 s: a new session


def _match(rng: random.Random, ev: _Events, home: str, away: str, start: int) -> str:
    match_id = f"m-{ev.next_id}"
    data = {"match_id": match_id, "home_user_id": home, "away_user_id": away}
    ev.add(start, "match", {**data, "home_goals_scored": None, "away_goals_scored": None})
    goals = {"home_goals_scored": rng.randint(0, 4), "away_goals_scored": rng.randint(0, 4)}
    ev.add(start + rng.randint(300, 1_200), "match", {**data, **goals})
    return match_id


def generate(users: int = 200, seed: int = 11, defects_each: int = 3) -> Season:
    """A season of events for ``users`` users, with ``defects_each`` of every defect."""
    rng = random.Random(seed)
    ev = _Events()
    ids = [_user_id(rng) for _ in range(users)]
    registered: dict[str, int] = {}
    for user in ids:
        ts = SEASON_START + rng.randint(0, 10 * DAY)
        registered[user] = ts
        country = rng.choice(list(TIMEZONES))
        ev.add(
            ts,
            "registration",
            {"country": country, "user_id": user, "device_os": rng.choice(DEVICES)},
        )
        _sessions(rng, ev, user, ts)
    for _ in range(users * 2):
        home, away = rng.sample(ids, 2)
        start = max(registered[home], registered[away]) + rng.randint(60, 15 * DAY)
        _match(rng, ev, home, away, start)

    counts: dict[str, int] = {}

    def inject(name: str, make) -> None:
        for _ in range(defects_each):
            for item in make():
                extra.append(item)
            counts[name] = counts.get(name, 0) + 1

    extra: list = []
    some = lambda: rng.choice(ids)  # noqa: E731
    mid = SEASON_START + 15 * DAY

    inject("malformed_line", lambda: [rng.choice(["{not json", "", "[1, 2]", '"text"'])])
    inject("invalid_event_id", lambda: [{**_ping(some(), mid), "event_id": "12"}])
    inject("invalid_event_type", lambda: [{**_ping(some(), mid), "event_type": "purchase"}])
    inject("invalid_timestamp", lambda: [{**_ping(some(), mid), "event_timestamp": "2024-09-15"}])
    inject("out_of_season", lambda: [_ping(some(), rng.choice([0, 4_102_444_800]))])
    inject("invalid_event_data", lambda: [_registration(_user_id(rng), mid, user_id=None)])
    inject("invalid_device_os", lambda: [_registration(_user_id(rng), mid, device_os="Symbian")])
    inject(
        "unknown_country_timezone", lambda: [_registration(_user_id(rng), mid, country="Atlantis")]
    )
    inject("invalid_goals", lambda: _match_pair(some(), some(), mid, goals=(-1, 2)))
    inject("self_match", lambda: _match_pair(*[some()] * 2, mid)[:1])
    inject("second_registration", lambda: [_registration(some(), SEASON_START + 20 * DAY)])
    inject("unregistered_user", lambda: [_ping(_user_id(rng), mid)])
    inject("before_registration", lambda: [_ping(some(), SEASON_START - 3_600)])
    inject("match_end_without_start", lambda: _match_pair(*rng.sample(ids, 2), mid)[1:])
    inject(
        "goals_on_match_start", lambda: _match_pair(*rng.sample(ids, 2), mid, goals_on_start=True)
    )
    inject("match_end_before_start", lambda: _match_pair(*rng.sample(ids, 2), mid, end_first=True))
    inject("second_match_start", lambda: _restarted(*rng.sample(ids, 2), mid + rng.randint(1, DAY)))
    inject(
        "match_players_mismatch",
        lambda: _other_away(*rng.sample(ids, 3), mid + rng.randint(1, DAY)),
    )
    inject("second_match_end", lambda: _ended_twice(*rng.sample(ids, 2), mid + rng.randint(1, DAY)))

    # Every defect gets a fresh event id, then duplicates of existing ids (payload changed).
    lines_out: list[tuple[int, str]] = []
    for event in ev.events:
        lines_out.append(
            (
                event["event_timestamp"] if isinstance(event["event_timestamp"], int) else 0,
                json.dumps(event),
            )
        )
    next_id = ev.next_id
    for item in extra:
        if isinstance(item, str):
            lines_out.append((rng.randint(SEASON_START, mid), item))
            continue
        if item.get("event_id") is None:
            item["event_id"] = next_id
            next_id += 1
        ts = item["event_timestamp"] if isinstance(item["event_timestamp"], int) else mid
        lines_out.append((ts, json.dumps(item)))
    for _ in range(defects_each):
        original = rng.choice(ev.events)
        copy = json.loads(json.dumps(original))
        copy["event_timestamp"] += 1
        lines_out.append((original["event_timestamp"] + 10 * DAY, json.dumps(copy)))
    counts["duplicate_event_id"] = defects_each

    # Input order is roughly time order, as a live stream would deliver it.
    lines_out.sort(key=lambda t: t[0])
    return Season([line for _, line in lines_out], dict(TIMEZONES), ids, counts)


def _ping(user: str, ts: int) -> dict:
    return {
        "event_id": None,
        "event_timestamp": ts,
        "event_type": "session_ping",
        "event_data": {"user_id": user, "type": ""},
    }


def _registration(user: str | None, ts: int, **data) -> dict:
    fields = {"country": "US", "user_id": user, "device_os": "Web"}
    fields.update(data)
    return {
        "event_id": None,
        "event_timestamp": ts,
        "event_type": "registration",
        "event_data": {k: v for k, v in fields.items() if v is not None},
    }


def _match_pair(home: str, away: str, ts: int, goals=(1, 0), goals_on_start=False, end_first=False):
    match_id = f"d-{ts}-{home}-{away}-{goals}-{goals_on_start}-{end_first}"
    base = {"match_id": match_id, "home_user_id": home, "away_user_id": away}
    start_goals = goals if goals_on_start else (None, None)
    start = {
        "event_id": None,
        "event_timestamp": ts,
        "event_type": "match",
        "event_data": {
            **base,
            "home_goals_scored": start_goals[0],
            "away_goals_scored": start_goals[1],
        },
    }
    end_ts = ts - 600 if end_first else ts + 600
    end = {
        "event_id": None,
        "event_timestamp": end_ts,
        "event_type": "match",
        "event_data": {**base, "home_goals_scored": goals[0], "away_goals_scored": goals[1]},
    }
    return [start, end]


def _restarted(home: str, away: str, ts: int) -> list[dict]:
    """A match whose start event is sent twice (with different event ids)."""
    start, end = _match_pair(home, away, ts)
    return [start, {**start, "event_timestamp": ts + 30}, end]


def _ended_twice(home: str, away: str, ts: int) -> list[dict]:
    """A match whose end event is sent twice (with different event ids and times)."""
    start, end = _match_pair(home, away, ts)
    return [start, end, {**end, "event_timestamp": end["event_timestamp"] + 5}]


def _other_away(home: str, away: str, other: str, ts: int) -> list[dict]:
    """A match whose end event names another away player than its start."""
    start, end = _match_pair(home, away, ts)
    return [start, {**end, "event_data": {**end["event_data"], "away_user_id": other}}]


def write_season(
    season: Season, events_dir: Path, timezones_file: Path, files: int = 4
) -> list[Path]:
    """Write the lines into ``files`` files (``0000.jsonl`` …) and the time-zone file."""
    events_dir.mkdir(parents=True, exist_ok=True)
    timezones_file.parent.mkdir(parents=True, exist_ok=True)
    timezones_file.write_text(
        "".join(
            json.dumps({"country": c, "timezone": z}) + "\n" for c, z in season.timezones.items()
        )
    )
    size = -(-len(season.lines) // files)
    paths = []
    for i in range(files):
        chunk = season.lines[i * size : (i + 1) * size]
        path = events_dir / f"{i:04d}.jsonl"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(line + "\n" for line in chunk), encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths
