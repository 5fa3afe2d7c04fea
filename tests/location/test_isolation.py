"""Batch isolation over real HTTP on both stores: 1,025 concurrent ``PUT /location`` of which 25
points fail *inside the database* make no innocent request fail.

Validation now rejects every point known to fail in a store (U+0000 in ``user_id`` was the one
found), so a "bad at commit time" point has to be made: the test installs a trigger in the
server's store that refuses the keys of users named ``poison-…`` (PostgreSQL: SQLSTATE 23514
check_violation, SQLite: ``RAISE(ABORT)`` → an integrity error), i.e. a constraint validation
did not foresee. The trigger fires in the middle of the batch's transaction, after the other
points' keys were inserted: the whole transaction fails, as it did with U+0000.
"""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from tests.location.conftest import store_of
from tests.location.helpers import new_user, point

pytestmark = pytest.mark.slow

TRIGGERS = {
    "postgres": (
        """CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'poison point' USING ERRCODE = 'check_violation'; END $$""",
        """CREATE TRIGGER refuse_poison BEFORE INSERT ON location_points FOR EACH ROW
        WHEN (NEW.user_id LIKE 'poison-%') EXECUTE FUNCTION refuse_poison()""",
    ),
    "sqlite": (
        """CREATE TRIGGER refuse_poison BEFORE INSERT ON location_points
        WHEN NEW.user_id GLOB 'poison-*' BEGIN SELECT RAISE(ABORT, 'poison point'); END""",
    ),
}


def test_bad_points_fail_alone(server):
    good = [point(new_user("ok"), f"2017-03-01 10:{i % 60:02d}:{i // 60:02d}") for i in range(1000)]
    bad = [point(new_user("poison"), "2017-03-01 10:00:00") for _ in range(25)]
    bodies = good + bad
    random.Random(13).shuffle(bodies)
    with store_of(server.env) as store:
        for statement in TRIGGERS[store.dialect]:
            store.con.execute(statement)
        before = store.state()

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(
            limits=limits, timeout=httpx.Timeout(120, pool=None)
        ) as client:
            return await asyncio.gather(
                *(client.put(f"{server.base}/location", content=json.dumps(b)) for b in bodies)
            )

    responses = asyncio.run(send_all())
    answers = {b["user_id"]: r for b, r in zip(bodies, responses, strict=True)}
    innocent = [r for b, r in answers.items() if b.startswith("ok-") and r.status_code != 200]
    assert innocent == []
    assert all(answers[b["user_id"]].json() == {"status": "stored"} for b in good)
    for b in bad:
        r = answers[b["user_id"]]
        assert r.status_code == 400, r.text
        assert r.json() == {"error": {"field": "body", "reason": "the store refused this point"}}
    with store_of(server.env) as store:
        after = store.state()
        keys = {user for user, _ in store.point_keys()}
    assert after["accepted"] - before["accepted"] == len(good)
    assert {b["user_id"] for b in good} <= keys
    assert not {b["user_id"] for b in bad} & keys
    # The points did share transactions (otherwise nothing was isolated): fewer commits than
    # points, bisection's extra commits included.
    assert after["seq"] - before["seq"] < len(good)
