"""Realistic phone traces for ``PUT /location``, with the defects the seed lists.

Users move along routes through different time zones at walking / cycling / driving speed
and report a point every ~1-3 s with the device's *local* wall-clock time (derived from the
real UTC time and the zone at the position, as a phone does). Included on purpose:

- a spring-forward DST change (New York, 2017-03-12: the device clock jumps 01:59 → 03:00),
- a fall-back DST change (Chicago, 2017-11-05: the clock repeats 01:00-01:59),
- a border crossing between zones (Badajoz, Spain → Elvas, Portugal: one hour apart),
- zones with half-hour offsets (Kolkata) and the southern hemisphere (Sydney);

and the defects: missing fields, wrong formats and out-of-range values (each record says
which field is bad), duplicates (a re-send of an earlier point, sometimes with other values:
the first submitted counts), and bursts (a phone offline for a few minutes sends its
buffered points back-to-back, still in chronological order).

Records are in send order; ``body`` is the exact text to send.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from timezonefinder import TimezoneFinder

TS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Route:
    user_id: str
    start_utc: datetime
    waypoints: tuple[tuple[float, float], ...]  # (lat, long)
    speed_mps: float


ROUTES = (
    Route("nyc-commuter", datetime(2017, 3, 12, 6, 40), ((40.701, -73.916), (40.758, -73.985)), 6),
    Route("chicago-night", datetime(2017, 11, 5, 6, 45), ((41.878, -87.63), (41.95, -87.65)), 3),
    Route("iberia-driver", datetime(2017, 6, 1, 9, 0), ((38.879, -6.97), (38.881, -7.163)), 20),
    Route("tokyo-walker", datetime(2017, 1, 1, 3, 0), ((35.681, 139.767), (35.69, 139.70)), 1.4),
    Route("sydney-cyclist", datetime(2017, 4, 1, 15, 30), ((-33.87, 151.21), (-33.89, 151.27)), 5),
    Route("kolkata-rider", datetime(2017, 1, 1, 4, 0), ((22.57, 88.36), (22.52, 88.39)), 8),
)


@dataclass
class Record:
    body: str
    kind: str  # valid | invalid | duplicate
    field: str | None = None  # the bad field of an invalid record


def _position(route: Route, seconds: float) -> tuple[float, float]:
    """Back and forth along the waypoints at the route's speed (flat-earth is fine here)."""
    (lat0, lon0), (lat1, lon1) = route.waypoints[0], route.waypoints[-1]
    metres = math.hypot((lat1 - lat0) * 111_000, (lon1 - lon0) * 111_000 * math.cos(lat0 / 57.3))
    leg = (seconds * route.speed_mps) % (2 * metres) / metres
    f = leg if leg <= 1 else 2 - leg
    return lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f


def _points(route: Route, minutes: int, rng: random.Random, finder: TimezoneFinder) -> list[dict]:
    points, t = [], 0.0
    while t < minutes * 60:
        lat, lon = _position(route, t)
        utc = (route.start_utc + timedelta(seconds=t)).replace(tzinfo=UTC)
        zone = finder.timezone_at(lng=lon, lat=lat) or "UTC"
        local = utc.astimezone(ZoneInfo(zone))
        points.append(
            {
                "timestamp": local.strftime(TS),
                "lat": round(lat + rng.gauss(0, 0.00002), 6),
                "long": round(lon + rng.gauss(0, 0.00002), 6),
                "accuracy": round(abs(rng.gauss(10, 4)) + 1, 7),
                "speed": round(abs(rng.gauss(route.speed_mps, 1)), 7),
                "user_id": route.user_id,
            }
        )
        t += rng.choice((1, 1, 2, 2, 3))
    return points


def _defect(point: dict, rng: random.Random) -> tuple[dict | str, str]:
    """A broken copy of ``point`` and the field that is broken."""
    bad = dict(point)
    field = rng.choice(("timestamp", "lat", "long", "accuracy", "speed", "user_id"))
    how = rng.random()
    if how < 0.3:
        del bad[field]
    elif field == "timestamp":
        bad[field] = rng.choice(
            (
                point["timestamp"].replace(" ", "T") + "Z",
                point["timestamp"].replace("-", "/"),
                point["timestamp"][:10] + " 25:61:00",
                "2017-02-30 10:00:00",
                1483275912,
            )
        )
    elif field in ("lat", "long"):
        off_range = point[field] + math.copysign(200, point[field])
        bad[field] = rng.choice((str(point[field]), off_range, None, "north"))
    elif field in ("accuracy", "speed"):
        bad[field] = rng.choice((-1, -0.5, str(point[field]), True))
    else:
        bad[field] = rng.choice(("", "   ", "x" * 300, 42))
    return bad, field


def generate(minutes: int = 90, seed: int = 7, defect_rate: float = 0.02) -> list[Record]:
    """Every route's trace for ``minutes``, merged in send order with the defects mixed in."""
    rng = random.Random(seed)
    finder = TimezoneFinder(in_memory=True)
    streams: list[list[tuple[float, Record]]] = []
    for route in ROUTES:
        points = _points(route, minutes, rng, finder)
        stream: list[tuple[float, Record]] = []
        offline_until = -1
        for i, p in enumerate(points):
            send_at = float(i)
            # Bursts: now and then the phone is offline for 1-4 min and then flushes.
            if i > offline_until and rng.random() < 0.002:
                offline_until = i + rng.randint(30, 120)
            if i <= offline_until:
                send_at = float(offline_until) + (i - offline_until) * 0.01
            stream.append((send_at, Record(json.dumps(p), "valid")))
            if rng.random() < defect_rate:
                body, field = _defect(p, rng)
                stream.append((send_at + 0.001, Record(json.dumps(body), "invalid", field)))
            if i > 5 and rng.random() < 0.03:
                # A re-send of a recent point, sometimes with different values.
                old = dict(points[i - rng.randint(0, 5)])
                if rng.random() < 0.5:
                    old["speed"] = round(old["speed"] + 1.5, 7)
                stream.append((send_at + 0.002, Record(json.dumps(old), "duplicate")))
        streams.append(stream)
    merged = sorted((r for s in streams for r in s), key=lambda r: r[0])
    return _fix_kinds([r for _, r in merged])


def _fix_kinds(records: list[Record]) -> list[Record]:
    """Mark as duplicates the valid points whose (user_id, timestamp) was sent before (the
    fall-back hour repeats wall-clock times), and re-sends of points never accepted."""
    seen: set[tuple[str, str]] = set()
    for r in records:
        if r.kind == "invalid":
            continue
        data = json.loads(r.body)
        key = (data["user_id"], data["timestamp"])
        r.kind = "duplicate" if key in seen else "valid"
        seen.add(key)
    return records


def write(records: list[Record], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for r in records:
            f.write(json.dumps({"body": r.body, "kind": r.kind, "field": r.field}) + "\n")


def read(path: Path) -> list[Record]:
    return [Record(**json.loads(line)) for line in path.read_text().splitlines() if line]
