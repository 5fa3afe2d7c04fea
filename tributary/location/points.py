"""One location point: parsing and validating a ``PUT /location`` body by hand (cheap: no
model instantiation on the hot path), and deriving its UTC and minute keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import orjson

from tributary.location import timezones

MAX_USER_ID_LENGTH = 128
# Every accepted number is bounded (docs/domains/location.md): whatever is accepted, the sums
# and averages of the store and the marts hold it.
NUMBER_FIELDS = (
    # field, low, high
    ("lat", -90.0, 90.0),
    ("long", -180.0, 180.0),
    ("accuracy", 0.0, 100_000.0),  # metres
    ("speed", 0.0, 1_000.0),  # metres a second
)
# C0 and C1 control characters and DEL: PostgreSQL text cannot hold U+0000, and an identifier
# with any of them is not one a device meant to send.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FIELDS = ("timestamp", "lat", "long", "accuracy", "speed", "user_id")


@dataclass(frozen=True, slots=True)
class Point:
    """A valid point. ``*_text`` are the shortest decimal texts of the numbers (what the JSON
    said, for any number with up to 17 significant digits): the store sums them exactly."""

    user_id: str
    ts_local: datetime
    ts_utc: datetime
    zone: str
    lat: float
    long: float
    accuracy: float
    speed: float

    @property
    def minute_utc(self) -> datetime:
        return self.ts_utc.replace(second=0)

    @property
    def minute_local(self) -> datetime:
        return self.ts_local.replace(second=0)

    @property
    def texts(self) -> tuple[str, str, str, str]:
        return repr(self.lat), repr(self.long), repr(self.accuracy), repr(self.speed)


class Invalid(ValueError):
    """The body is not a valid point; ``errors`` lists (field, reason) for every bad field."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))
        self.errors = errors

    def body(self) -> bytes:
        """The API's error shape: the first error, and all of them when there are several."""
        items = [{"field": f, "reason": r} for f, r in self.errors]
        body: dict = {"error": items[0]}
        if len(items) > 1:
            body["errors"] = items
        return orjson.dumps(body)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)


def parse_timestamp(value: object) -> datetime | str:
    """A real ``YYYY-MM-DD HH:MM:SS`` → datetime; otherwise the reason it is not one."""
    if not isinstance(value, str):
        return "must be a string 'YYYY-MM-DD HH:MM:SS'"
    if _TIMESTAMP.fullmatch(value) is None:
        return "must match 'YYYY-MM-DD HH:MM:SS'"
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        return f"not a real date and time ({exc})"


def parse(body: bytes) -> Point:
    """Validate a request body; raises ``Invalid`` naming every bad field and why."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Invalid([("body", "not valid JSON")]) from None
    if not isinstance(data, dict):
        raise Invalid([("body", "must be a JSON object")])
    errors: list[tuple[str, str]] = []
    numbers: dict[str, float] = {}
    for name, low, high in NUMBER_FIELDS:
        value = data.get(name)
        if value is None:
            errors.append((name, "missing" if name not in data else "must not be null"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors.append((name, "must be a number"))
        elif not low <= value <= high:
            errors.append((name, f"must be between {low:g} and {high:g}"))
        else:
            numbers[name] = float(value)
    ts = data.get("timestamp")
    if ts is None:
        errors.append(("timestamp", "missing" if "timestamp" not in data else "must not be null"))
        local = None
    else:
        parsed = parse_timestamp(ts)
        if isinstance(parsed, str):
            errors.append(("timestamp", parsed))
            local = None
        else:
            local = parsed
    user_id = data.get("user_id")
    if user_id is None:
        errors.append(("user_id", "missing" if "user_id" not in data else "must not be null"))
    elif not isinstance(user_id, str):
        errors.append(("user_id", "must be a string"))
    elif reason := user_id_error(user_id):
        errors.append(("user_id", reason))
    if errors:
        raise Invalid(errors)
    return make_point(user_id, local, **numbers)


def user_id_error(user_id: str) -> str | None:
    """Why ``user_id`` is not a valid user id (the API's path parameter too), or None."""
    if not user_id.strip():
        return "must not be empty"
    if len(user_id) > MAX_USER_ID_LENGTH:
        return f"longer than {MAX_USER_ID_LENGTH} characters"
    if _CONTROL.search(user_id):
        return "must not contain control characters"
    return None


def make_point(
    user_id: str, ts_local: datetime, lat: float, long: float, accuracy: float, speed: float
) -> Point:
    """A point from validated values: looks up the zone and derives the UTC time."""
    zone = timezones.zone_name(lat, long)
    try:
        ts_utc = timezones.to_utc(ts_local, zone)
    except OverflowError:
        raise Invalid([("timestamp", f"outside years 1-9999 in UTC (zone {zone})")]) from None
    return Point(user_id, ts_local, ts_utc, zone, lat, long, accuracy, speed)
