"""A simulated season through the real pipeline (dlt → dbt → snapshot) and the real API over
HTTP, compared with the answers computed independently in plain Python from the raw lines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from simulation.players import expected
from simulation.players.generator import Season, generate, write_season
from tests.conftest import run_job, running_api
from tests.players.helpers import marts, rows
from tributary import serving

pytestmark = pytest.mark.slow  # the module's season is a whole players_refresh (dbt build)

USERS = 120


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Season, Path]]:
    """A data dir holding one simulated season, loaded and built once by ``players_refresh``."""
    data = tmp_path_factory.mktemp("players-season") / "data"
    data.mkdir()
    previous = os.environ.get("TRIBUTARY_DATA_DIR")
    os.environ["TRIBUTARY_DATA_DIR"] = str(data)
    try:
        generated = generate(users=USERS, seed=5, defects_each=3)
        write_season(
            generated, data / "landing" / "players", data / "landing" / "players_timezones.json"
        )
        result = run_job("players_refresh")
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]
        yield generated, data
    finally:
        os.environ["TRIBUTARY_DATA_DIR"] = previous or ""


@pytest.fixture(scope="module")
def clean(season) -> expected.Clean:
    generated, _ = season
    return expected.clean_events(generated.lines, generated.timezones)


@pytest.fixture(scope="module")
def api(season) -> Iterator[str]:
    """The real API (uvicorn subprocess) over the season's data dir."""
    _, data = season
    with running_api(data) as base:
        yield base


def test_quarantine_rules_and_counts_match_the_independent_cleaning(season, clean):
    generated, _ = season
    counted = dict(rows("SELECT rule, count(*) FROM players.quarantine GROUP BY rule"))
    assert counted == {rule: n for rule, n in clean.rules.items() if n}
    # every defect the generator injected shows up under its rule
    assert set(generated.defects) <= set(counted)
    # input events = clean + quarantined
    [(lines_read,)] = rows("SELECT sum(lines_read) FROM players_raw.files")
    [(quarantined,)] = rows("SELECT count(*) FROM players.quarantine")
    assert lines_read == len(generated.lines) == clean.clean_events + quarantined


def test_user_stats_match_the_expected_answers(season, clean, api):
    generated, _ = season
    today = datetime.now(UTC).date()
    sample = sorted(clean.registrations)[:25]
    days = [date(2024, 9, d) for d in (1, 3, 7, 12, 20, 28)]
    with httpx.Client(base_url=api, timeout=10) as http:
        for user in sample:
            got = http.get("/api/user-stats", params={"user_id": user}).json()
            assert got == expected.user_stats(clean, generated.timezones, user, None, today)
            for day in days:
                got = http.get(
                    "/api/user-stats", params={"user_id": user, "date": day.isoformat()}
                ).json()
                assert got == expected.user_stats(clean, generated.timezones, user, day, today), (
                    user,
                    day,
                )


def test_game_stats_match_the_expected_answers(clean, api):
    with httpx.Client(base_url=api, timeout=10) as http:
        assert http.get("/api/game-stats").json() == expected.game_stats(clean, None)
        for d in range(1, 31, 3):
            day = date(2024, 9, d)
            got = http.get("/api/game-stats", params={"date": day.isoformat()}).json()
            assert got == expected.game_stats(clean, day), day
        empty = http.get("/api/game-stats", params={"date": "2030-01-01"}).json()
        assert empty["daily_active_users"] == 0 and empty["top_users"] == []


def test_api_errors(clean, api):
    user = sorted(clean.registrations)[0]
    with httpx.Client(base_url=api, timeout=10) as http:
        for params in (
            {"user_id": user, "date": "2024-9-1"},
            {"user_id": user, "date": "2024-02-30"},
        ):
            r = http.get("/api/user-stats", params=params)
            assert r.status_code == 400 and r.json()["error"]["field"] == "date"
        r = http.get("/api/user-stats")
        assert r.status_code == 400
        assert r.json() == {"error": {"field": "user_id", "reason": "user_id is required"}}
        r = http.get("/api/game-stats", params={"date": "yesterday"})
        assert r.status_code == 400 and r.json()["error"]["field"] == "date"
        r = http.get("/api/user-stats", params={"user_id": "nobody"})
        assert r.status_code == 404
        assert r.json() == {"error": {"field": "user_id", "reason": "unknown user"}}
        assert http.get("/health").json()["domains"]["players"]["published"] is True


def test_rerun_without_new_files_changes_nothing(season):
    before = marts()
    snapshot = serving.current_version("players")
    result = run_job("players_refresh")
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert marts() == before
    assert rows("SELECT count(*) FROM players_raw.file_loads") == [(4,)]
    assert serving.current_version("players") != snapshot  # republished, same content
