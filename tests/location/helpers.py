"""Small HTTP helpers and the independent expectations (plain Python from the raw inputs)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import httpx

TS = "%Y-%m-%d %H:%M:%S"


def new_user(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def point(user_id: str, ts: str, lat=40.701, long=-73.916, accuracy=11.3, speed=1.4) -> dict:
    return {
        "timestamp": ts,
        "lat": lat,
        "long": long,
        "accuracy": accuracy,
        "speed": speed,
        "user_id": user_id,
    }


# One client for the whole session: a new httpx client per call costs an SSL context.
CLIENT = httpx.Client(timeout=30)


def put(base: str, body, **kwargs) -> httpx.Response:
    content = body if isinstance(body, bytes | str) else json.dumps(body)
    return CLIENT.put(f"{base}/location", content=content, **kwargs)


def minutes(base: str, user_id: str, start="1970-01-01 00:00:00", end="2100-01-01 00:00:00"):
    r = CLIENT.get(f"{base}/location/{user_id}/minutes", params={"start": start, "end": end})
    assert r.status_code == 200, r.text
    return r.json()


def exact_mean(values) -> float:
    """The mean of the numbers as the JSON wrote them (shortest repr), rounded once."""
    total = sum(Fraction(repr(float(v))) for v in values)
    return float(total / len(values))


def utc_of(local: str, zone: str) -> datetime:
    """Documented rule, independently: wall-clock time in ``zone`` with fold=0."""
    naive = datetime.strptime(local, TS)
    return naive.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC).replace(tzinfo=None)
