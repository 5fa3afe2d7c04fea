"""The expected answers, computed in plain Python from the raw lines (never from the marts).

An independent implementation of the cleaning rules, the sessionisation and the statistics
described in the README, so the tests can compare the API with it.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SEASON_HALF_WIDTH = 365 * 86_400
EVENT_TYPES = {"registration", "session_ping", "match"}
PING_TYPES = {"session_start", "session_end", ""}
DEVICES = {"iOS", "Android", "Web"}


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _text(value) -> bool:
    return isinstance(value, str) and value != ""


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


@dataclass
class Clean:
    """Clean events by kind, plus the rule counts of the discarded lines."""

    registrations: dict[str, dict] = field(default_factory=dict)
    pings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    matches: list[dict] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clean_events: int = 0


def _stage_one(docs: list[tuple[int, dict]], timezones: dict[str, str], clean: Clean):
    stamps = [d.get("event_timestamp") for _, d in docs]
    stamps = [t for t in stamps if _int(t)]
    median = statistics.median(stamps) if stamps else 0
    seen: set[int] = set()
    passed = []
    for order, doc in docs:
        eid, ts, kind, data = (
            doc.get(k) for k in ("event_id", "event_timestamp", "event_type", "event_data")
        )
        rule = None
        if not _int(eid):
            rule = "invalid_event_id"
        elif eid in seen:
            rule = "duplicate_event_id"
        if _int(eid):
            seen.add(eid)
        if rule is None:
            rule = _event_rule(ts, kind, data, median, timezones)
        if rule:
            clean.rules[rule] += 1
        else:
            passed.append((order, doc))
    return passed


def _event_rule(ts, kind, data, median, timezones) -> str | None:
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        return "invalid_event_type"
    if not _int(ts):
        return "invalid_timestamp"
    if abs(ts - median) > SEASON_HALF_WIDTH:
        return "out_of_season"
    if not isinstance(data, dict):
        return "invalid_event_data"
    if kind == "registration":
        if not (_text(data.get("country")) and _text(data.get("user_id"))) or not isinstance(
            data.get("device_os"), str
        ):
            return "invalid_event_data"
        if data["device_os"] not in DEVICES:
            return "invalid_device_os"
        if data["country"] not in timezones:
            return "unknown_country_timezone"
        return None
    if kind == "session_ping":
        if not _text(data.get("user_id")) or data.get("type") not in PING_TYPES:
            return "invalid_event_data"
        return None
    match_id = data.get("match_id")
    if not (_text(match_id) or _int(match_id)):
        return "invalid_event_data"
    if not (_text(data.get("home_user_id")) and _text(data.get("away_user_id"))):
        return "invalid_event_data"
    if "home_goals_scored" not in data or "away_goals_scored" not in data:
        return "invalid_event_data"
    home, away = data["home_goals_scored"], data["away_goals_scored"]
    for goals in (home, away):
        if goals is not None and not (_int(goals) and goals >= 0):
            return "invalid_goals"
    if (home is None) != (away is None):
        return "invalid_goals"
    if data["home_user_id"] == data["away_user_id"]:
        return "self_match"
    return None


def _stage_two(passed, clean: Clean):
    registered: dict[str, int] = {}
    regs = sorted(
        ((d["event_timestamp"], o, d) for o, d in passed if d["event_type"] == "registration"),
        key=lambda t: (t[0], t[1]),
    )
    for ts, _, doc in regs:
        user = doc["event_data"]["user_id"]
        if user in registered:
            clean.rules["second_registration"] += 1
            continue
        registered[user] = ts
        clean.registrations[user] = doc
        clean.clean_events += 1
    matches = []
    for order, doc in passed:
        kind, ts, data = doc["event_type"], doc["event_timestamp"], doc["event_data"]
        if kind == "registration":
            continue
        users = (
            [data["user_id"]]
            if kind == "session_ping"
            else [data["home_user_id"], data["away_user_id"]]
        )
        if any(u not in registered for u in users):
            clean.rules["unregistered_user"] += 1
        elif any(ts < registered[u] for u in users):
            clean.rules["before_registration"] += 1
        elif kind == "session_ping":
            clean.pings[data["user_id"]].append(ts)
            clean.clean_events += 1
        else:
            matches.append((order, doc))
    return matches


def _stage_three(matches, clean: Clean) -> None:
    by_match: dict[str, list] = defaultdict(list)
    for order, doc in matches:
        by_match[str(doc["event_data"]["match_id"])].append(
            (doc["event_timestamp"], order, doc["event_data"])
        )
    for events in by_match.values():
        events.sort(key=lambda t: (t[0], t[1]))
        with_goals = [e for e in events if e[2]["home_goals_scored"] is not None]
        rest = events
        if events[0][2]["home_goals_scored"] is not None and len(with_goals) >= 2:
            clean.rules["goals_on_match_start"] += 1
            rest = events[1:]
        starts = [e for e in rest if e[2]["home_goals_scored"] is None]
        ends = [e for e in rest if e[2]["home_goals_scored"] is not None]
        clean.rules["second_match_start"] += max(0, len(starts) - 1)
        start = starts[0] if starts else None
        good_end = None
        for end in ends:
            if start is None:
                clean.rules["match_end_without_start"] += 1
            elif end[0] < start[0]:
                clean.rules["match_end_before_start"] += 1
            elif (end[2]["home_user_id"], end[2]["away_user_id"]) != (
                start[2]["home_user_id"],
                start[2]["away_user_id"],
            ):
                clean.rules["match_players_mismatch"] += 1
            elif good_end is not None:
                clean.rules["second_match_end"] += 1
            else:
                good_end = end
        clean.clean_events += (1 if start else 0) + (1 if good_end else 0)
        if start and good_end:
            h, a = good_end[2]["home_goals_scored"], good_end[2]["away_goals_scored"]
            clean.matches.append(
                {
                    "home": start[2]["home_user_id"],
                    "away": start[2]["away_user_id"],
                    "day": _day(start[0]),
                    "seconds": good_end[0] - start[0],
                    "home_points": 3 if h > a else 1 if h == a else 0,
                    "away_points": 3 if a > h else 1 if a == h else 0,
                }
            )


def clean_events(lines: list[str], timezones: dict[str, str]) -> Clean:
    """Apply every cleaning rule to the raw lines (in input order)."""
    clean = Clean()
    docs = []
    for order, line in enumerate(lines):
        try:
            doc = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            clean.rules["malformed_line"] += 1
            continue
        docs.append((order, doc))
    _stage_three(_stage_two(_stage_one(docs, timezones, clean), clean), clean)
    clean.rules = dict(clean.rules)
    return clean


def sessions(pings: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each session: a gap of more than 60 s starts a new one."""
    out: list[list[int]] = []
    for ts in sorted(pings):
        if out and ts - out[-1][1] <= 60:
            out[-1][1] = ts
        else:
            out.append([ts, ts])
    return [(s, e) for s, e in out]


def percentage(match_seconds: int, game_seconds: int) -> float | None:
    return round(match_seconds / game_seconds * 100, 2) if game_seconds else None


def user_stats(
    clean: Clean, timezones: dict[str, str], user: str, day: date | None, today: date
) -> dict:
    reg = clean.registrations[user]["event_data"]
    reg_ts = clean.registrations[user]["event_timestamp"]
    local = datetime.fromtimestamp(reg_ts, ZoneInfo(timezones[reg["country"]]))
    mine = sessions(clean.pings.get(user, []))
    in_period = [s for s in mine if day is None or _day(s[0]) == day]
    upto = [_day(s[0]) for s in mine if day is None or _day(s[0]) <= day]
    reference = day or today
    home = [m for m in clean.matches if m["home"] == user and (day is None or m["day"] == day)]
    away = [m for m in clean.matches if m["away"] == user and (day is None or m["day"] == day)]
    game = sum(e - s for s, e in in_period)
    match_seconds = sum(m["seconds"] for m in home + away)
    return {
        "user_id": user,
        "country": reg["country"],
        "registration_date_local_timezone": local.strftime("%Y-%m-%d %H:%M:%S"),
        "days_since_last_login": (reference - max(upto)).days if upto else None,
        "number_of_sessions": len(in_period),
        "time_spent_in_game": game,
        "total_points_won_home": sum(m["home_points"] for m in home),
        "total_points_won_away": sum(m["away_points"] for m in away),
        "percentage_time_spent_in_match": percentage(match_seconds, game),
    }


def game_stats(clean: Clean, day: date | None) -> dict:
    active = 0
    count = 0
    for pings in clean.pings.values():
        mine = [s for s in sessions(pings) if day is None or _day(s[0]) == day]
        active += bool(mine)
        count += len(mine)
    points: dict[str, int] = defaultdict(int)
    for m in clean.matches:
        if day is None or m["day"] == day:
            points[m["home"]] += m["home_points"]
            points[m["away"]] += m["away_points"]
    top = max(points.values()) if points else None
    return {
        "date": day.isoformat() if day else None,
        "daily_active_users": active,
        "number_of_sessions": count,
        "average_sessions_per_active_user": round(count / active, 2) if active else None,
        "top_points": top,
        "top_users": sorted(u for u, p in points.items() if p == top),
    }
