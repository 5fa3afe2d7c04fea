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

import aiohttp
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

    async def send_all() -> list[tuple[int, bytes]]:
        # aiohttp, not httpx: httpx's pool takes ~25 s for these 1,025 requests over 256
        # connections (the server needs under 1 s), and an idle gap past uvicorn's 5 s
        # keep-alive let a reused connection fail with ReadError under CI load.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:

            async def put(body: dict) -> tuple[int, bytes]:
                async with session.put(f"{server.base}/location", data=json.dumps(body)) as r:
                    return r.status, await r.read()

            return await asyncio.gather(*(put(b) for b in bodies), return_exceptions=True)

    responses = asyncio.run(send_all())
    failed = [repr(r) for r in responses if isinstance(r, BaseException)]
    assert not failed, (
        f"{len(failed)} requests failed: {failed[:3]}\nserver log:\n{server.log_tail()}"
    )
    answers = {b["user_id"]: r for b, r in zip(bodies, responses, strict=True)}
    innocent = [r for b, r in answers.items() if b.startswith("ok-") and r[0] != 200]
    assert innocent == []
    assert all(json.loads(answers[b["user_id"]][1]) == {"status": "stored"} for b in good)
    for b in bad:
        status, text = answers[b["user_id"]]
        assert status == 400, text
        assert json.loads(text) == {
            "error": {"field": "body", "reason": "the store refused this point"}
        }
    with store_of(server.env) as store:
        after = store.state()
        keys = {user for user, _ in store.point_keys()}
    assert after["accepted"] - before["accepted"] == len(good)
    assert {b["user_id"] for b in good} <= keys
    assert not {b["user_id"] for b in bad} & keys
    # The points did share transactions (otherwise nothing was isolated): fewer commits than
    # points, bisection's extra commits included.
    assert after["seq"] - before["seq"] < len(good)
