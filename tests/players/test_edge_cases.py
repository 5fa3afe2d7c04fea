"""Hand-written events for the edges: sessions split at more than 60 s (exactly 60 s does not),
local registration time, points, 400/404, incremental files, and the landing sensor."""

from __future__ import annotations

import dagster as dg
import httpx
import pytest

from tests.conftest import run_job
from tests.players.helpers import event, land, land_timezones, match, ping, rows

T0 = 1_725_148_800  # 2024-09-01 00:00:00 UTC


def _first_file() -> None:
    land_timezones({"US": "America/New_York", "JP": "Asia/Tokyo"})
    land(
        "0000.jsonl",
        [
            event(1, T0, "registration", country="US", user_id="u1", device_os="iOS"),
            event(2, T0 + 5, "registration", country="JP", user_id="u2", device_os="Web"),
            ping(3, T0 + 100, "u1", "session_start"),
            ping(4, T0 + 160, "u1"),  # exactly 60 s: same session
            ping(5, T0 + 220, "u1", "session_end"),
            ping(6, T0 + 281, "u1", "session_start"),  # 61 s: a new session
            ping(7, T0 + 300, "u1", "session_end"),  # closer than 60 s
            ping(3, T0 + 5_000, "u1", "session_start"),  # duplicate event_id, other payload
            match(8, T0 + 1_000, "m1", "u1", "u2"),
            match(9, T0 + 1_600, "m1", "u1", "u2", goals=(2, 1)),
            match(10, T0 + 2_000, "m2", "u2", "u1"),
            match(11, T0 + 2_300, "m2", "u2", "u1", goals=(1, 1)),
            match(12, T0 + 2_400, "m3", "u1", "u1"),  # against themself
            match(13, T0 + 2_500, "m4", "u1", "u2", goals=(1, -1)),  # negative goals
            ping(14, T0 - 10, "u2"),  # before registration
            ping(15, T0 + 50, "ghost"),  # never registered
            event(16, T0 + 60, "registration", country="FR", user_id="u3", device_os="iOS"),
            event(17, T0 + 70, "registration", country="US", user_id="u4", device_os="Nokia"),
            event(18, T0 + 80, "registration", country="US", user_id="u1", device_os="Web"),
            event(19, T0 + 90, "login", user_id="u1"),
            "{broken",
        ],
    )


@pytest.mark.slow
def test_edge_cases_through_pipeline_and_api(data_dir, api_server):
    _first_file()
    result = run_job("players_refresh")
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())

    assert rows(
        "SELECT user_id, started_at - $1, duration_seconds FROM intermediate.int_players__sessions ORDER BY 1, 2",
        [T0],
    ) == [
        ("u1", 100, 120),
        ("u1", 281, 19),
    ]
    assert dict(rows("SELECT rule, count(*) FROM players.quarantine GROUP BY rule")) == {
        "duplicate_event_id": 1,
        "self_match": 1,
        "invalid_goals": 1,
        "before_registration": 1,
        "unregistered_user": 1,
        "unknown_country_timezone": 1,
        "invalid_device_os": 1,
        "second_registration": 1,
        "invalid_event_type": 1,
        "malformed_line": 1,
    }

    with httpx.Client(base_url=api_server, timeout=10) as http:
        u1 = http.get("/api/user-stats", params={"user_id": "u1", "date": "2024-09-01"}).json()
        assert u1 == {
            "user_id": "u1",
            "country": "US",
            "registration_date_local_timezone": "2024-08-31 20:00:00",
            "days_since_last_login": 0,
            "number_of_sessions": 2,
            "time_spent_in_game": 139,
            "total_points_won_home": 3,
            "total_points_won_away": 1,
            "percentage_time_spent_in_match": round(900 / 139 * 100, 2),
        }
        later = http.get("/api/user-stats", params={"user_id": "u1", "date": "2024-09-05"}).json()
        assert later["days_since_last_login"] == 4 and later["number_of_sessions"] == 0
        assert later["percentage_time_spent_in_match"] is None
        u2 = http.get("/api/user-stats", params={"user_id": "u2"}).json()
        assert u2["registration_date_local_timezone"] == "2024-09-01 09:00:05"
        assert u2["days_since_last_login"] is None and u2["time_spent_in_game"] == 0
        assert (u2["total_points_won_home"], u2["total_points_won_away"]) == (1, 0)
        stats = http.get("/api/game-stats", params={"date": "2024-09-01"}).json()
        assert stats == {
            "date": "2024-09-01",
            "daily_active_users": 1,
            "number_of_sessions": 2,
            "average_sessions_per_active_user": 2.0,
            "top_points": 4,
            "top_users": ["u1"],
        }
        assert http.get("/api/user-stats", params={"user_id": "u3"}).status_code == 404

        # A new file: only it is read; only the day it touches is rewritten.
        before = _refreshed()
        land("0001.jsonl", [ping(20, T0 + 86_400 + 10, "u2"), ping(21, T0 + 86_400 + 70, "u2")])
        assert run_job("players_refresh").success
        assert rows("SELECT count(*) FROM players_raw.file_loads") == [(2,)]
        day2 = http.get("/api/game-stats", params={"date": "2024-09-02"}).json()
        assert (day2["daily_active_users"], day2["number_of_sessions"]) == (1, 1)
        u2 = http.get("/api/user-stats", params={"user_id": "u2", "date": "2024-09-02"}).json()
        assert (u2["number_of_sessions"], u2["time_spent_in_game"]) == (1, 60)
        assert http.get("/api/game-stats").json()["daily_active_users"] == 2
        after = _refreshed()
        assert after["session_data"]["2024-09-01"] == before["session_data"]["2024-09-01"]
        assert after["match_data"] == before["match_data"]
        assert "2024-09-02" in after["session_data"]

        # A ping just before midnight joins u2's day-2 session to day 1 (a session belongs to
        # the day it starts): the earlier day is rewritten and day 2 disappears entirely.
        land("0002.jsonl", [ping(22, T0 + 86_400 - 30, "u2")])
        assert run_job("players_refresh").success
        assert rows(
            'SELECT user_id, "date"::VARCHAR, session_count, time_spent_in_game FROM players.session_data ORDER BY ALL'
        ) == [
            ("u1", "2024-09-01", 2, 139),
            ("u2", "2024-09-01", 1, 100),
        ]
        last = _refreshed()
        assert last["session_data"]["2024-09-01"] > after["session_data"]["2024-09-01"]
        assert last["match_data"] == before["match_data"]
        day2 = http.get("/api/game-stats", params={"date": "2024-09-02"}).json()
        assert (day2["daily_active_users"], day2["number_of_sessions"]) == (0, 0)


def _refreshed() -> dict[str, dict[str, object]]:
    """Per mart, day → when its rows were last rewritten."""
    return {
        mart: dict(
            rows(f'SELECT "date"::VARCHAR, max(refreshed_at) FROM players.{mart} GROUP BY 1')
        )
        for mart in ("session_data", "match_data")
    }


def test_sensor_requests_one_run_per_set_of_new_files(data_dir):
    from orchestration.defs.players.sensors import players_landing_sensor

    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor: str | None = None):
        return players_landing_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    first = tick()
    assert not first.run_requests
    _first_file()
    result = tick(first.cursor)
    [request] = result.run_requests
    assert request.tags["tributary/warehouse"] == "writer"
    again = tick(result.cursor)
    assert again.run_requests[0].run_key == request.run_key  # same backlog, same key
    land("0001.jsonl", [ping(20, T0 + 86_400, "u2")])
    assert tick(result.cursor).run_requests[0].run_key != request.run_key


@pytest.mark.slow
def test_empty_landing_materialises_empty_marts(data_dir):
    result = run_job("players_refresh")
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert rows("SELECT count(*) FROM players.registration_data") == [(0,)]
    assert rows("SELECT * FROM players.game_stats") == [(None, 0, 0, None, None, [])]
