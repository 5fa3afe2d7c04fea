"""The invariant of issue 13: every point ``PUT /location`` accepts flows through every
downstream model. Hypothesis generates points at the edges of every field (limits, signed
zero, subnormals, years 1 and 9999, 128-character and non-BMP user ids), sends them over HTTP
to a real server on each store, then ``location_refresh`` (dlt load, reconciliation, dbt)
must succeed and ``location.user_minute`` hold the exact means."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import rows, run_job
from tests.location.conftest import api_server, embedded_env, postgres_env
from tests.location.helpers import exact_mean, minutes, new_user, point, put, utc_of
from tributary.location.timezones import zone_name

pytestmark = pytest.mark.slow
WINDOW = timedelta(hours=6)


def _number(low: float, high: float) -> st.SearchStrategy:
    edges = [low, high, 0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300]
    return st.one_of(
        st.sampled_from([e for e in edges if low <= e <= high]),
        st.floats(low, high),
        st.integers(int(low), int(high)),
    )


LOCAL = st.one_of(
    st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 58), datetime(2017, 3, 12, 2)]),
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 58)),
).map(lambda d: d.replace(microsecond=0))
USER = st.one_of(
    st.just("x" * 128),
    st.just("\U0001f600" * 128),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=128),
).filter(lambda u: u.strip() and "/" not in u and u not in (".", ".."))


@st.composite
def minute_of_points(draw) -> list[dict]:
    """1-4 points of one (new) user in one local minute, each field at or near its edges."""
    start = draw(LOCAL)
    seconds = draw(st.lists(st.integers(0, 59), min_size=1, max_size=4, unique=True))
    user = draw(USER)[:100] + new_user("")[-11:]
    return [
        point(
            user,
            start.replace(second=s).isoformat(" "),
            draw(_number(-90, 90)),
            draw(_number(-180, 180)),
            draw(_number(0, 100_000)),
            draw(_number(0, 1_000)),
        )
        for s in seconds
    ]


@pytest.mark.parametrize("store", ["embedded", "postgres"])
def test_accepted_points_build_the_marts(store, data_dir, monkeypatch, request):
    env = embedded_env(data_dir)
    if store == "postgres":
        env = postgres_env(data_dir, request.getfixturevalue("pg_database"))
    expected: dict[tuple[str, datetime], list[dict]] = defaultdict(list)
    newest: dict[str, datetime] = {}
    with api_server(env, workers=1) as server:

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @given(minute_of_points())
        def send(points):
            for p in points:
                zone = zone_name(float(p["lat"]), float(p["long"]))
                try:
                    utc = utc_of(p["timestamp"], zone)
                except OverflowError:
                    utc = None
                r = put(server.base, p)
                if utc is None or not datetime(1, 1, 1) <= utc:
                    assert r.status_code == 400 and r.json()["error"]["field"] == "timestamp"
                    continue
                # Points of one user may fall in zones far apart: one more than the window
                # (6 h, UTC) behind the user's newest is answered as a duplicate (documented).
                late = newest.get(p["user_id"], utc) - utc > WINDOW
                want = "duplicate" if late else "stored"
                assert r.status_code == 200 and r.json() == {"status": want}, r.text
                if late:
                    continue
                newest[p["user_id"]] = max(utc, newest.get(p["user_id"], utc))
                expected[(p["user_id"], utc.replace(second=0))].append(p)
            for (user, minute), items in expected.items():
                if user != points[0]["user_id"]:
                    continue
                got = {
                    m["minute"]: m
                    for m in minutes(
                        server.base,
                        quote(user, safe=""),
                        "0001-01-01 00:00:00",
                        "9999-12-31 23:59:59",
                    )
                }
                m = got[minute.isoformat(" ")]
                assert m["points"] == len(items)
                for f in ("lat", "long", "accuracy", "speed"):
                    assert m[f] == exact_mean([i[f] for i in items])

        send()
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = run_job("location_refresh")
    assert result.success
    got = {
        (u, m): (lat, long, acc, speed, n)
        for u, m, lat, long, acc, speed, n in rows(
            "SELECT user_id, minute_utc, lat, long, accuracy, speed, points FROM location.user_minute"
        )
    }
    assert len(got) == len(expected) > 0
    for key, items in expected.items():
        *averages, n = got[key]
        assert n == len(items)
        for value, f in zip(averages, ("lat", "long", "accuracy", "speed"), strict=True):
            assert value == pytest.approx(exact_mean([i[f] for i in items]), rel=1e-12, abs=1e-300)
    assert rows("SELECT count(*) FROM location.user_day WHERE isnan(distance_km)") == [(0,)]
