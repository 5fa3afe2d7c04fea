"""``PUT /location`` and ``GET /location/{user_id}/minutes`` over real HTTP, against a real
uvicorn server (2 workers) on the embedded store and on PostgreSQL (each test runs on both)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.location.helpers import CLIENT, exact_mean, minutes, new_user, point, put


def test_valid_point_is_stored(server):
    user = new_user()
    r = put(server.base, point(user, "2017-01-01 13:05:12"))
    assert r.status_code == 200
    assert r.json() == {"status": "stored"}
    assert minutes(server.base, user) == [
        {
            "minute": "2017-01-01 18:05:00",
            "minute_local": "2017-01-01 13:05:00",
            "time_zone": "America/New_York",
            "lat": 40.701,
            "long": -73.916,
            "accuracy": 11.3,
            "speed": 1.4,
            "points": 1,
        }
    ]


def test_unknown_extra_fields_are_ignored(server):
    user = new_user()
    body = {**point(user, "2017-01-01 13:05:12"), "altitude": 12, "battery": "low"}
    assert put(server.base, body).status_code == 200
    assert minutes(server.base, user)[0]["points"] == 1


def _without(field: str) -> dict:
    body = point("someone", "2017-01-01 13:05:12")
    del body[field]
    return body


def _with(**changes) -> dict:
    return {**point("someone", "2017-01-01 13:05:12"), **changes}


INVALID = [
    # (body, field named, words the reason contains)
    *[(_without(f), f, "missing") for f in ("timestamp", "lat", "long", "accuracy", "speed")],
    (_without("user_id"), "user_id", "missing"),
    (_with(lat=None), "lat", "null"),
    (_with(lat="40.7"), "lat", "number"),
    (_with(long=True), "long", "number"),
    (_with(speed=[1]), "speed", "number"),
    (_with(lat=90.0001), "lat", "between -90 and 90"),
    (_with(lat=-91), "lat", "between -90 and 90"),
    (_with(long=180.5), "long", "between -180 and 180"),
    (_with(long=-181), "long", "between -180 and 180"),
    (_with(accuracy=-0.1), "accuracy", "between 0 and 100000"),
    (_with(speed=-1), "speed", "between 0 and 1000"),
    # Poison pills: accepted before, they broke every later dbt build of the location marts.
    (_with(speed=1e20), "speed", "between 0 and 1000"),
    (
        '{"timestamp": "2017-01-01 13:05:12", "lat": 40.7, "long": -73.9, "accuracy": 1,'
        ' "speed": 100000000000000000000, "user_id": "x"}',
        "speed",
        "between 0 and 1000",
    ),
    (_with(speed=1000.0000000000001), "speed", "between 0 and 1000"),
    (_with(accuracy=1e20), "accuracy", "between 0 and 100000"),
    (_with(accuracy=100000.00000000001), "accuracy", "between 0 and 100000"),
    # UTC outside years 1-9999 (was a 500).
    (_with(timestamp="9999-12-31 23:59:59"), "timestamp", "outside years 1-9999"),
    (
        _with(timestamp="0001-01-01 00:00:00", lat=35.681, long=139.767),
        "timestamp",
        "outside years",
    ),
    (_with(timestamp="2017-02-30 10:00:00"), "timestamp", "not a real date"),
    (_with(timestamp="2017-01-01 24:00:00"), "timestamp", "not a real date"),
    (_with(timestamp="2017-01-01T13:05:12"), "timestamp", "YYYY-MM-DD HH:MM:SS"),
    (_with(timestamp="2017-01-01 13:05:12Z"), "timestamp", "YYYY-MM-DD HH:MM:SS"),
    (_with(timestamp="2017/01/01 13:05:12"), "timestamp", "YYYY-MM-DD HH:MM:SS"),
    (_with(timestamp="2017-01-01 13:05"), "timestamp", "YYYY-MM-DD HH:MM:SS"),
    (_with(timestamp="２017-01-01 13:05:12"), "timestamp", "YYYY-MM-DD HH:MM:SS"),  # noqa: RUF001
    (_with(timestamp=1483275912), "timestamp", "string"),
    (_with(user_id=""), "user_id", "empty"),
    (_with(user_id="   "), "user_id", "empty"),
    (_with(user_id="x" * 129), "user_id", "longer than 128"),
    (_with(user_id=42), "user_id", "string"),
    # Control characters (U+0000 failed a whole PostgreSQL batch; SQLite stored it).
    *[(_with(user_id=f"a{c}b"), "user_id", "control") for c in "\x00\x01\n\x1f\x7f\x85\x9f"],
    ("{not json", "body", "not valid JSON"),
    ("[1, 2]", "body", "JSON object"),
    ("", "body", "not valid JSON"),
    ({**_with(), "padding": "x" * 5000}, "body", "larger than 4096 bytes"),
]


@pytest.mark.parametrize(("body", "field", "reason"), INVALID, ids=lambda x: str(x)[:40])
def test_invalid_point_is_400_naming_the_field(server, body, field, reason):
    if isinstance(body, dict):
        body = {**body, "user_id": body["user_id"]} if "user_id" in body else body
    r = put(server.base, body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert reason in error["reason"]


def test_every_bad_field_is_listed_and_nothing_is_stored(server):
    user = new_user()
    body = {"timestamp": "2017-13-01 00:00:00", "lat": 95, "long": "x", "user_id": user}
    r = put(server.base, body)
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"timestamp", "lat", "long", "accuracy", "speed"}
    assert minutes(server.base, user) == []


def test_sequential_duplicates_keep_the_first(server):
    user = new_user()
    first = point(user, "2017-01-01 13:05:12", lat=40.5, speed=1.0)
    assert put(server.base, first).json() == {"status": "stored"}
    for speed in (2.0, 3.0):
        r = put(server.base, {**first, "speed": speed, "lat": 41.0})
        assert r.status_code == 200
        assert r.json() == {"status": "duplicate"}
    [minute] = minutes(server.base, user)
    assert (minute["points"], minute["lat"], minute["speed"]) == (1, 40.5, 1.0)


def test_concurrent_duplicates_are_counted_once(server):
    """50 clients send the same (user_id, timestamp) at once, over both workers."""
    user = new_user()
    bodies = [point(user, "2017-01-01 13:05:12", speed=float(i)) for i in range(50)]

    async def send_all():
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            return await asyncio.gather(
                *(client.put(f"{server.base}/location", content=json.dumps(b)) for b in bodies)
            )

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [200] * 50
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("stored") == 1
    winner = bodies[statuses.index("stored")]
    [minute] = minutes(server.base, user)
    assert minute["points"] == 1
    assert minute["speed"] == winner["speed"]


def test_minute_averages_are_exact(server):
    user = new_user()
    # Awkward decimals (no exact binary form), several points in one UTC minute, one in the
    # next; accuracy/speed integers and floats mixed.
    raw = [
        ("2017-06-01 08:15:00", 40.701, -73.916, 11.3000021, 1.3999992),
        ("2017-06-01 08:15:07", 40.72, -73.93, 12, 0.1),
        ("2017-06-01 08:15:31", 40.7300000000001, -73.94999999999, 0.7, 0.2),
        ("2017-06-01 08:15:59", 40.7, -73.91, 3.3333333, 0),
        ("2017-06-01 08:16:00", 40.71, -73.92, 5.5, 7.25),
    ]
    for ts, lat, long, acc, speed in raw:
        assert put(server.base, point(user, ts, lat, long, acc, speed)).status_code == 200
    got = minutes(server.base, user, "2017-06-01 12:00:00", "2017-06-01 13:00:00")
    first = [r for r in raw if r[0] < "2017-06-01 08:16"]
    expected_first = {
        "minute": "2017-06-01 12:15:00",
        "minute_local": "2017-06-01 08:15:00",
        "time_zone": "America/New_York",
        "lat": exact_mean([r[1] for r in first]),
        "long": exact_mean([r[2] for r in first]),
        "accuracy": exact_mean([r[3] for r in first]),
        "speed": exact_mean([r[4] for r in first]),
        "points": 4,
    }
    assert got[0] == expected_first
    assert got[1]["minute"] == "2017-06-01 12:16:00"
    assert got[1]["points"] == 1 and got[1]["speed"] == 7.25
    # [start, end): the end minute is excluded, start included.
    only_first = minutes(server.base, user, "2017-06-01 12:15:00", "2017-06-01 12:16:00")
    assert [m["minute"] for m in only_first] == ["2017-06-01 12:15:00"]


TIME_ZONE_CASES = [
    # (local timestamp, lat, long, expected zone, expected UTC minute)
    # New York spring forward: 02:30 does not exist; read with the offset before (EST).
    ("2017-03-12 02:30:10", 40.701, -73.916, "America/New_York", "2017-03-12 07:30:00"),
    ("2017-03-12 01:59:59", 40.701, -73.916, "America/New_York", "2017-03-12 06:59:00"),
    ("2017-03-12 03:00:00", 40.701, -73.916, "America/New_York", "2017-03-12 07:00:00"),
    # New York fall back: 01:30 happens twice; the first (EDT) is taken.
    ("2017-11-05 01:30:00", 40.701, -73.916, "America/New_York", "2017-11-05 05:30:00"),
    ("2017-11-05 02:30:00", 40.701, -73.916, "America/New_York", "2017-11-05 07:30:00"),
    # Half-hour offset, and east of UTC across midnight.
    ("2017-01-01 04:45:00", 22.57, 88.36, "Asia/Kolkata", "2016-12-31 23:15:00"),
    ("2017-01-01 08:00:00", 35.681, 139.767, "Asia/Tokyo", "2016-12-31 23:00:00"),
    # Near the Spain / Portugal border (Caia river, ~900 m apart): one hour apart.
    ("2017-06-01 12:00:00", 38.88, -7.04, "Europe/Lisbon", "2017-06-01 11:00:00"),
    ("2017-06-01 12:00:00", 38.88, -7.03, "Europe/Madrid", "2017-06-01 10:00:00"),
    # At sea: the nautical zone.
    ("2017-06-01 12:00:00", 40.0, -30.0, "Etc/GMT+2", "2017-06-01 14:00:00"),
]


@pytest.mark.parametrize(("local", "lat", "long", "zone", "utc"), TIME_ZONE_CASES)
def test_local_time_to_utc(server, local, lat, long, zone, utc):
    user = new_user()
    assert put(server.base, point(user, local, lat, long)).status_code == 200
    [minute] = minutes(server.base, user)
    assert (minute["time_zone"], minute["minute"]) == (zone, utc)
    assert minute["minute_local"] == local[:17] + "00"


def test_minutes_query_is_validated(server):
    user = new_user()
    r = CLIENT.get(
        f"{server.base}/location/{user}/minutes",
        params={"start": "yesterday", "end": "2017-01-01 00:00:00"},
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "start"
    r = CLIENT.get(
        f"{server.base}/location/{user}/minutes",
        params={"start": "2017-01-02 00:00:00", "end": "2017-01-01 00:00:00"},
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "end"
    for bad in ("a%00b", "a%0Ab", "a%C2%85"):
        r = CLIENT.get(
            f"{server.base}/location/{bad}/minutes",
            params={"start": "2017-01-01 00:00:00", "end": "2017-01-02 00:00:00"},
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"] == {
            "field": "user_id",
            "reason": "must not contain control characters",
        }


def test_edges_of_every_field_are_stored_and_served(server):
    """The limits themselves are accepted, and the years 1 and 9999 come back with four digits
    (a user per point: a point 6 h behind its user's newest is a duplicate)."""
    edges = [
        # (local, lat, long, accuracy, speed, UTC minute); New York before 1883: UTC-4:56:02.
        ("0001-01-01 00:00:00", 40.701, -73.916, 0, 0, "0001-01-01 04:56:00"),
        ("9999-12-31 23:59:59", 35.681, 139.767, 100_000, 1_000, "9999-12-31 14:59:00"),
        ("2017-01-01 00:00:00", 90, 180, 5e-324, 1e-300, "2016-12-31 12:00:00"),
        ("2017-01-01 00:01:00", -90, -180, 99999.99999999999, 999.9999999999999, None),
    ]
    for ts, lat, long, accuracy, speed, utc in edges:
        user = new_user()
        r = put(server.base, point(user, ts, lat, long, accuracy, speed))
        assert r.status_code == 200, r.text
        [m] = minutes(server.base, user, "0001-01-01 00:00:00", "9999-12-31 23:59:59")
        assert m["minute_local"] == ts[:17] + "00"
        assert utc is None or m["minute"] == utc
        assert (m["lat"], m["long"], m["accuracy"], m["speed"]) == (lat, long, accuracy, speed)
