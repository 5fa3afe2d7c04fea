"""The store's batch write directly, on both stores: writers on separate connections racing
over the same keys count every key once, advance ``seq`` once per batch, and drop points
more than the window behind their user's newest, whatever the interleaving."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta

import pytest

from tests.location.conftest import (
    embedded_env,
    pg_database,  # noqa: F401 (fixture)
    postgres_env,
    store_of,
)
from tributary.location.points import make_point

START = datetime(2017, 5, 1, 12, 0, 0)


def _points(users: int, seconds: int) -> list:
    return [
        make_point(f"w{u}", START + timedelta(seconds=s), 40.7 + u / 1000, -73.9, 5.0, 1.0)
        for s in range(seconds)
        for u in range(users)
    ]


@pytest.fixture(params=["embedded", "postgres"])
def env(request, tmp_path) -> dict[str, str]:
    if request.param == "embedded":
        return embedded_env(tmp_path)
    return postgres_env(tmp_path, request.getfixturevalue("pg_database"))


def test_racing_writers_count_each_key_once(env):
    points = _points(users=10, seconds=60)  # 600 distinct keys
    writers, batches_each, size = 4, 30, 40
    answers: list[list[bool]] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(writers)

    def write(offset: int, store) -> None:
        try:
            gate.wait(timeout=60)
            for b in range(batches_each):
                # Every writer sends overlapping slices, repeats inside a batch included.
                start = (offset * 97 + b * 23) % len(points)
                batch = (points + points)[start : start + size]
                answers.append(store.write_batch(batch + batch[:5]))
        except BaseException as exc:
            errors.append(exc)

    # One connection per writer, opened here: store_of points os.environ at the store for the
    # duration of the open, which threads must not do at the same time.
    with contextlib.ExitStack() as stack:
        stores = [stack.enter_context(store_of(env)) for _ in range(writers)]
        threads = [threading.Thread(target=write, args=(w, stores[w])) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a writer did not finish"
    assert not errors, errors
    sent = sum(len(a) for a in answers)
    accepted = sum(sum(a) for a in answers)
    with store_of(env) as store:
        state, keys = store.state(), store.point_keys()
        minutes = [
            m
            for u in range(10)
            for m in store.minutes(f"w{u}", datetime(2017, 1, 1), datetime(2018, 1, 1))
        ]
    assert state["seq"] == writers * batches_each  # one per batch, none lost or doubled
    assert state["accepted"] == accepted == len(keys)
    assert state["duplicates"] == sent - accepted
    assert sum(m.points for m in minutes) == accepted
    # The 5 in-batch repeats at the end of every batch are never accepted.
    assert all(not any(a[-5:]) for a in answers)


def test_points_behind_the_window_are_duplicates(env, monkeypatch):
    monkeypatch.setenv("LOCATION_DEDUP_WINDOW_SECONDS", "3600")
    newest = make_point("late", START, 40.7, -73.9, 5.0, 1.0)
    inside = make_point("late", START - timedelta(minutes=59), 40.7, -73.9, 5.0, 1.0)
    behind = make_point("late", START - timedelta(minutes=61), 40.7, -73.9, 5.0, 1.0)
    with store_of(env) as store:
        assert store.write_batch([newest]) == [True]
        assert store.write_batch([behind, inside]) == [False, True]
        assert store.state()["duplicates"] == 1


def test_the_first_and_last_minutes_of_the_calendar(env):
    """A user whose newest point is in year 1 (UTC) can still send: the window check computed
    ``newest - 6 h`` and overflowed before year 1 (every later batch of the user failed), and
    the year-9999 end holds too (both stores, same answers)."""
    first = datetime(1, 1, 1, 0, 0, 0)  # at sea on the meridian: UTC
    last = datetime(9999, 12, 31, 23, 59, 59)
    with store_of(env) as store:
        assert store.write_batch([make_point("y1", first, 0.0, 0.0, 1.0, 1.0)]) == [True]
        later = [make_point("y1", first + timedelta(seconds=s), 0.0, 0.0, 1.0, 1.0) for s in (1, 2)]
        assert store.write_batch(later) == [True, True]
        end = [make_point("y9", last - timedelta(seconds=s), 0.0, 0.0, 1.0, 1.0) for s in (1, 0)]
        assert store.write_batch(end) == [True, True]
        assert store.write_batch([end[0]]) == [False]
        assert store.cleanup() == 0
        [(user, minute, points)] = [
            (r.user_id, r.minute_utc, r.points) for r in store.minutes("y1", first, last)
        ]
        assert (user, minute, points) == ("y1", first, 3)
        [row] = store.minutes("y9", first, last)
        assert (row.minute_utc, row.points) == (last.replace(second=0), 2)
