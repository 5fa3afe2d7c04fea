"""A generated trace (several users, time zones, DST changes, a border crossing, the seed's
defects) replayed into a server on the embedded store and one on PostgreSQL: every response
is what the trace's labels say, and both stores end with identical minutes, equal to the
minutes computed independently from the trace in plain Python."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from timezonefinder import TimezoneFinder

from simulation.location import generator
from simulation.location.replay import replay
from tests.location.conftest import api_server, embedded_env, postgres_env
from tests.location.helpers import TS, exact_mean, minutes, utc_of


def expected_minutes(records: list[generator.Record]) -> dict[str, list[dict]]:
    """First submitted point per (user_id, timestamp), grouped by UTC minute (documented
    rule: zone at the point, wall clock read with fold=0), simple averages."""
    finder = TimezoneFinder()
    seen, groups = set(), defaultdict(list)
    for r in records:
        if r.kind == "invalid":
            continue
        p = json.loads(r.body)
        if (p["user_id"], p["timestamp"]) in seen:
            continue
        seen.add((p["user_id"], p["timestamp"]))
        zone = finder.timezone_at(lng=p["long"], lat=p["lat"])
        minute = utc_of(p["timestamp"], zone).replace(second=0).strftime(TS)
        groups[(p["user_id"], minute)].append((p, zone))
    out: dict[str, list[dict]] = defaultdict(list)
    for (user, minute), items in sorted(groups.items()):
        first, zone = items[0]
        out[user].append(
            {
                "minute": minute,
                "minute_local": first["timestamp"][:17] + "00",
                "time_zone": zone,
                **{
                    f: exact_mean([p[f] for p, _ in items])
                    for f in ("lat", "long", "accuracy", "speed")
                },
                "points": len(items),
            }
        )
    return dict(out)


@pytest.mark.slow
def test_trace_on_both_stores(tmp_path, pg_database):
    records = generator.generate(minutes=8, seed=11)
    kinds = {r.kind for r in records}
    assert kinds == {"valid", "invalid", "duplicate"}
    users = sorted(
        {r.body.split('"user_id": ')[-1].strip('"}') for r in records if r.kind == "valid"}
    )
    expected = expected_minutes(records)
    results = {}
    for name, env, app in (
        ("embedded", embedded_env(tmp_path / "embedded"), "api.main:app"),
        ("postgres", postgres_env(tmp_path / "postgres", pg_database), "api.location.asgi:app"),
    ):
        with api_server(env, workers=1, app=app) as server:
            # One connection: "first submitted" is then the trace order, on both stores.
            sent = replay(
                server.base, [r.body.encode() for r in records], connections=1, keep_bodies=True
            )
            for r, status, body in zip(records, sent.statuses, sent.bodies, strict=True):
                if r.kind == "invalid":
                    assert status == 400, r.body
                    assert json.loads(body)["error"]["field"] == r.field, r.body
                else:
                    assert status == 200, r.body
                    want = "stored" if r.kind == "valid" else "duplicate"
                    assert json.loads(body)["status"] == want, r.body
            results[name] = {u: minutes(server.base, u) for u in users}
    assert results["embedded"] == results["postgres"]
    assert results["embedded"] == expected
