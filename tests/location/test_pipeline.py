"""The warehouse side: sample points in the embedded store → ``location_refresh`` (dlt
incremental load, reconciliation check, dbt marts) → ``location.user_minute`` and
``location.user_day`` equal to what plain Python computes from the trace; a second load after
more points takes only the changed minutes and merges them."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from datetime import datetime

import pytest

from loaders.location import pipeline as location
from loaders.location.source import location_minutes_source
from simulation.location import generator
from simulation.location.__main__ import sample
from tests.conftest import rows, run_job
from tests.location.helpers import TS
from tests.location.test_trace import expected_minutes
from tributary import warehouse


def haversine_km(a: dict, b: dict) -> float:
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["long"] - a["long"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def expected_days(minutes: dict[str, list[dict]]) -> dict[tuple[str, str], tuple[int, int, float]]:
    days: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for user, items in minutes.items():
        for m in items:
            days[(user, m["minute"][:10])].append(m)
    out = {}
    for key, items in days.items():
        distance = sum(haversine_km(a, b) for a, b in itertools.pairwise(items))
        out[key] = (sum(m["points"] for m in items), len(items), distance)
    return out


def _check_passed(result) -> None:
    assert result.success
    [check] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "minutes_reconcile"
    ]
    assert check.passed, check.metadata


@pytest.mark.slow
def test_refresh_builds_the_marts_incrementally(data_dir, monkeypatch):
    monkeypatch.setenv("LOCATION_DB_URL", "")
    records = generator.generate(minutes=6, seed=5)
    sample(records)
    _check_passed(run_job("location_refresh"))

    expected = expected_minutes(records)
    got = rows(
        "SELECT user_id, strftime(minute_utc, '%Y-%m-%d %H:%M:%S'), lat, long, accuracy, speed,"
        " points FROM location.user_minute ORDER BY 1, 2"
    )
    flat = [
        (u, m["minute"], m["lat"], m["long"], m["accuracy"], m["speed"], m["points"])
        for u, items in sorted(expected.items())
        for m in items
    ]
    assert len(got) == len(flat)
    for g, e in zip(got, flat, strict=True):
        assert g[:2] == e[:2] and g[6] == e[6]
        assert g[2:6] == pytest.approx(e[2:6], rel=1e-12)

    days = rows(
        "SELECT user_id, strftime(day_utc, '%Y-%m-%d'), points, active_minutes, distance_km"
        " FROM location.user_day"
    )
    want_days = expected_days(expected)
    assert {(u, d) for u, d, *_ in days} == set(want_days)
    for user, day, points, active, distance in days:
        w_points, w_active, w_distance = want_days[(user, day)]
        assert (points, active) == (w_points, w_active)
        assert distance == pytest.approx(w_distance, rel=1e-9, abs=1e-9)

    # More points: two into an existing minute of one user, one for a new user.
    user, items = sorted(expected.items())[0]
    minute = items[-1]
    local_minute = datetime.strptime(minute["minute_local"], TS)
    taken = {r.body for r in records}
    extra = []
    for second in range(60):
        ts = local_minute.replace(second=second).strftime(TS)
        if f'"timestamp": "{ts}"' not in "".join(b for b in taken if user in b):
            extra.append(
                generator.Record(
                    f'{{"timestamp": "{ts}", "lat": {minute["lat"]}, "long": {minute["long"]},'
                    f' "accuracy": 1, "speed": 2, "user_id": "{user}"}}',
                    "valid",
                )
            )
        if len(extra) == 2:
            break
    extra.append(
        generator.Record(
            '{"timestamp": "2017-01-01 12:00:00", "lat": 35.68, "long": 139.76,'
            ' "accuracy": 1, "speed": 2, "user_id": "late-joiner"}',
            "valid",
        )
    )
    assert sample(extra) == {"stored": 3}
    seq_before = rows("SELECT max(seq) FROM location_raw.minutes")[0][0]
    # The second load on its own (the dbt half was checked above): only changed minutes come,
    # merged in place.
    with warehouse.locked():
        location.pipeline().run(location_minutes_source())
        with warehouse.connect(read_only=True, lock=False) as con:
            check = location.reconcile(con)
    assert check.passed, check
    assert check.pending == 0 and check.accepted == check.points_in_store
    changed = rows(
        "SELECT user_id, points FROM location_raw.minutes WHERE seq > ? ORDER BY 1", [seq_before]
    )
    assert changed == sorted([(user, minute["points"] + 2), ("late-joiner", 1)])
    [(count, points)] = rows(
        "SELECT count(*), sum(points) FROM location_raw.minutes WHERE user_id = ? AND minute_utc = ?",
        [user, datetime.strptime(minute["minute"], TS)],
    )
    assert (count, points) == (1, minute["points"] + 2)
