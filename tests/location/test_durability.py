"""kill -9 of the server in the middle of a replay: every point that got a 200 is in the store
after a restart (and a re-send of it is a duplicate), on both stores; plus the API key and a
500 that leaks nothing."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest

from simulation.location.replay import replay
from tests.location.conftest import (
    api_server,
    embedded_env,
    pg_database,  # noqa: F401 (fixture)
    postgres_env,
    store_of,
)
from tests.location.helpers import TS, new_user, point, put


def _trace(n: int) -> tuple[list[bytes], list[tuple[str, datetime]]]:
    """``n`` distinct points of 20 users, chronological per user."""
    users = [new_user("crash") for _ in range(20)]
    start = datetime(2017, 5, 1, 12, 0, 0)
    bodies, keys = [], []
    for i in range(n):
        user, ts = users[i % 20], start + timedelta(seconds=i // 20)
        bodies.append(json.dumps(point(user, ts.strftime(TS), speed=float(i % 7))).encode())
        keys.append((user, ts))
    return bodies, keys


@pytest.mark.slow
@pytest.mark.parametrize("store", ["embedded", "postgres"])
def test_acknowledged_points_survive_kill_9(store, tmp_path, request):
    env = (
        embedded_env(tmp_path)
        if store == "embedded"
        else postgres_env(tmp_path, request.getfixturevalue("pg_database"))
    )
    bodies, keys = _trace(10_000)
    with api_server(env) as server:
        results = {}

        def run() -> None:
            results["r"] = replay(server.base, bodies, connections=16)

        sender = threading.Thread(target=run)
        sender.start()
        # Kill once a few hundred points are committed (the store says so), mid-replay.
        deadline = time.monotonic() + 60
        with store_of(env) as watcher:
            while watcher.state()["accepted"] < 300 and time.monotonic() < deadline:
                time.sleep(0.05)
        server.kill9()  # the whole process group: supervisor and both workers
        sender.join(timeout=60)
    statuses = results["r"].statuses
    acknowledged = {keys[i] for i, s in enumerate(statuses) if s == 200}
    assert 0 < len(acknowledged) < len(keys), "the kill must land in the middle of the replay"

    with store_of(env) as st:
        kept = st.point_keys()
        state = st.state()
    assert acknowledged <= kept
    # Nothing is counted that is not in the store, and nothing twice.
    assert state["accepted"] == len(kept)

    with api_server(env) as again:
        # A re-send of every acknowledged point changes nothing: they are all duplicates.
        sample = [i for i, s in enumerate(statuses) if s == 200][
            :: max(1, len(acknowledged) // 300)
        ]
        answers = replay(again.base, [bodies[i] for i in sample], connections=8, keep_bodies=True)
        assert set(answers.statuses) == {200}
        assert {b for b in answers.bodies} == {b'{"status":"duplicate"}'}
        with store_of(env) as st:
            assert st.state()["accepted"] == state["accepted"]


def test_api_key_and_internal_errors(tmp_path):
    """With LOCATION_API_KEYS set, writes need a key; a store failure is a bare 500."""
    env = {
        "TRIBUTARY_DATA_DIR": str(tmp_path),
        "LOCATION_API_KEYS": "k1, k2",
        # A store that cannot be reached: port 1 refuses connections.
        "LOCATION_DB_URL": "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2",
    }
    body = point(new_user(), "2017-01-01 13:05:12")
    with api_server(env, workers=1) as server:
        missing = put(server.base, body)
        assert missing.status_code == 401
        assert missing.json()["error"]["field"] == "X-API-Key"
        assert put(server.base, body, headers={"X-API-Key": "nope"}).status_code == 401
        invalid = put(server.base, {**body, "lat": 500}, headers={"X-API-Key": "k2"})
        assert invalid.status_code == 400
        failed = put(server.base, body, headers={"X-API-Key": "k1"})
        assert failed.status_code == 500
        assert failed.json() == {"error": {"reason": "internal error"}}
        assert "psycopg" not in failed.text and "127.0.0.1" not in failed.text
