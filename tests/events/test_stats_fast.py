"""``GET /events/users/{user_id}/stats``'s fast path (``events.stats_fast``, answered by
``api.main.Api`` before FastAPI's stack) against the straightforward answer — the response's
dict built day by day from the snapshot's rows and dumped by orjson, as the route did before —
byte for byte; and everything it does not answer (bad ``days``, unknown users, no snapshot)
still answered by the route in the one error shape. In process, on a real SQLite snapshot
published by the real publisher."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import duckdb
import orjson
import pytest
from fastapi.testclient import TestClient

from api.main import app
from api.routers import events
from loaders.events.serving import SERVED_TABLES
from tributary import serving_sqlite

TODAY = date(2024, 3, 10)
EPOCH = date(1970, 1, 1)
USERS = ["A", "B", 'q"uote\\d', "ünï", "owner-only"]


@pytest.fixture
def snapshot(data_dir, monkeypatch):
    monkeypatch.setattr(events, "today", lambda: TODAY)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA events")
    con.execute("CREATE TABLE events.users (user_id VARCHAR)")
    con.execute("INSERT INTO events.users SELECT unnest($u)", {"u": USERS})
    con.execute(
        "CREATE TABLE events.user_days (user_id VARCHAR, event_date DATE, "
        "products_contacted BIGINT, favourited BIGINT, products_sold BIGINT)"
    )
    rows = [
        ("A", TODAY, 2, 1, 0),
        ("A", TODAY - timedelta(days=1), 1, 0, 0),
        ("A", TODAY - timedelta(days=89), 0, 1, 0),  # the 90-day window's first day
        ("A", TODAY - timedelta(days=90), 7, 7, 7),  # just outside it
        ("A", TODAY + timedelta(days=1), 5, 5, 5),  # after today: never counted
        ("B", TODAY - timedelta(days=6), 0, 0, 3),
        ('q"uote\\d', TODAY - timedelta(days=29), 12345, 0, 1),
        ("ünï", TODAY - timedelta(days=2), 1, 2, 3),
    ]
    con.executemany("INSERT INTO events.user_days VALUES (?, ?, ?, ?, ?)", rows)
    path = serving_sqlite.publish("events", SERVED_TABLES, con)
    con.close()
    return path


def reference(path, user_id: str, days: int) -> bytes | None:
    """The answer as the route computed it before the fast path: dicts, then orjson."""
    con = sqlite3.connect(path)
    last = (TODAY - EPOCH).days
    first = last - days + 1
    rows = con.execute(events.STATS_SQL, (user_id, first, last)).fetchall()
    con.close()
    if not rows:
        return None
    figures = {r[0]: r[1:] for r in rows if r[0] is not None}
    series, totals = [], [0, 0, 0]
    for k in range(days):
        c, f, s = figures.get(first + k, (0, 0, 0))
        totals = [totals[0] + c, totals[1] + f, totals[2] + s]
        day = (TODAY - timedelta(days=days - 1 - k)).isoformat()
        series.append({"date": day, "products_contacted": c, "favourited": f, "products_sold": s})
    keys = ("products_contacted", "favourited", "products_sold")
    return orjson.dumps(
        {
            "user_id": user_id,
            "days": days,
            "series": series,
            "totals": dict(zip(keys, totals, strict=True)),
        }
    )


def scope(path: str, query: bytes = b"") -> dict:
    return {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": []}


def test_fast_path_answers_byte_for_byte_as_before(snapshot):
    http = TestClient(app)
    for user in USERS:
        for days in (1, 2, 7, 30, 89, 90):
            want = reference(snapshot, user, days)
            start, body = events.stats_fast(scope(f"/events/users/{user}/stats", b"days=%d" % days))
            assert body == want, (user, days)
            assert dict(start["headers"])[b"content-length"] == str(len(want)).encode()
            r = http.get(f"/events/users/{user}/stats", params={"days": days})
            assert r.status_code == 200 and r.content == want
            assert len(r.headers["x-request-id"]) == 32
    a = orjson.loads(reference(snapshot, "A", 90))
    assert a["series"][0]["favourited"] == 1 and a["totals"] == {
        "products_contacted": 3,
        "favourited": 2,
        "products_sold": 0,
    }
    # No query string: the default 30 days.
    assert events.stats_fast(scope("/events/users/B/stats"))[1] == reference(snapshot, "B", 30)


@pytest.mark.parametrize("days", ["0", "91", "99", "100", "07", "-1", "week", "", "7&days=8"])
def test_everything_else_goes_to_the_route(snapshot, days):
    assert events.stats_fast(scope("/events/users/A/stats", f"days={days}".encode())) is None
    r = TestClient(app).get(f"/events/users/A/stats?days={days}")
    if days == "07":  # not the fast path's spelling, still a valid integer for the route
        assert r.status_code == 200 and r.content == reference(snapshot, "A", 7)
    elif days == "7&days=8":  # repeated: the route takes the last
        assert r.status_code == 200 and r.content == reference(snapshot, "A", 8)
    else:
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "days"


def test_unknown_user_bad_id_and_no_snapshot(data_dir, snapshot):
    http = TestClient(app)
    assert events.stats_fast(scope("/events/users/nobody/stats")) is None
    r = http.get("/events/users/nobody/stats")
    assert r.status_code == 404
    assert r.json() == {"error": {"field": "user_id", "reason": "unknown user"}}
    r = http.get("/events/users/a%01b/stats")
    assert r.status_code == 422 and r.json()["error"]["field"] == "user_id"
    (data_dir / "serving" / "events" / "CURRENT").unlink()
    assert events.stats_fast(scope("/events/users/A/stats")) is None
    assert http.get("/events/users/A/stats").status_code == 503
