"""Incremental builds give the same tables as a full build.

Files land one at a time, each loaded and followed by an incremental ``dbt build`` of the
players models: a season split into two files, then a file sorting first whose ids take the first
occurrence from events already built, a file repeating earlier ids, a late ping for an
existing user, a new day, a late registration that validates a user's ping and match (and so
the opponent's figures), a rewritten file, and a new time zone that validates a quarantined
registration. Then ``dbt build --full-refresh`` on the same loads: every mart and the
quarantine must be identical row for row (except ``refreshed_at``), and the quarantine counts
must equal the independent plain-Python cleaning (``simulation/players/expected.py``). The
serving snapshot, published after each build by rewriting only the touched users' rows, must
hold exactly the warehouse's ``user_days``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loaders.file_domain import load_once
from loaders.players import pipeline as players
from loaders.players.settings import PlayersSettings
from simulation.players import expected
from simulation.players.generator import DAY, SEASON_START, generate
from tests.players.helpers import event, land, land_timezones, match, ping, rows
from tributary import duck, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
]  # seven dbt builds (minutes on a loaded machine)

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MARTS = {
    "registration_data": "SELECT * FROM players.registration_data",
    "session_data": "SELECT * EXCLUDE (refreshed_at) FROM players.session_data",
    "match_data": "SELECT * EXCLUDE (refreshed_at) FROM players.match_data",
    "user_days": "SELECT * FROM players.user_days",
    "game_stats": "SELECT * FROM players.game_stats",
    "quarantine": "SELECT * FROM players.quarantine",
}


def _state() -> dict[str, list[tuple]]:
    return {name: sorted(rows(sql), key=repr) for name, sql in MARTS.items()}


def _build(data_dir: Path, *args: str) -> None:
    target = data_dir / "dbt" / "target"
    if not target.exists():  # start from the project's parse, as the orchestration does
        target.mkdir(parents=True)
        parsed = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
        if parsed.exists():
            shutil.copy(parsed, target / "partial_parse.msgpack")
    # a subprocess: dbt-duckdb keeps its connection open in process, which would lock the
    # warehouse against the loader between builds
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--select",
            "tag:players",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--quiet",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _land_and_build(data_dir: Path, name: str, lines: list) -> None:
    land(name, lines)
    load_once(players.DOMAIN)
    _build(data_dir)
    players.publish_serving()  # after the first build: only the touched users' rows


def _snapshot_user_days() -> list[tuple]:
    con = duck.connect(serving.current_version("players"), read_only=True)
    try:
        return sorted(con.execute("SELECT * FROM players.user_days").fetchall(), key=repr)
    finally:
        con.close()


def _current_lines() -> list[str]:
    """Every landed line in input order (file name, then line)."""
    folder = Path(PlayersSettings().events_url)
    return [
        line
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").split("\n")[:-1]
    ]


def test_files_one_at_a_time_build_the_same_tables_as_a_full_build(data_dir, dbt_manifest):
    season = generate(users=30, seed=21, defects_each=2)
    zones = dict(season.timezones)
    land_timezones(zones)
    docs = [json.loads(line) for line in season.lines if line.startswith("{")]
    users = season.users
    registrations = [
        d
        for d in docs
        if d["event_type"] == "registration" and d["event_data"].get("user_id") in users
    ]
    pings = [
        d for d in docs if d["event_type"] == "session_ping" and isinstance(d["event_id"], int)
    ]
    next_id = 1_000_000

    # the season in two files (later days in the later file), landing together
    half = len(season.lines) // 2
    land("01.jsonl", season.lines[:half])
    _land_and_build(data_dir, "02.jsonl", season.lines[half:])

    # A file sorting first: its ids come first in input order, so a built registration and a
    # built ping become duplicates (the user loses their registration: their pings and their
    # opponents' matches are discarded too).
    _land_and_build(
        data_dir,
        "00.jsonl",
        [
            ping(registrations[0]["event_id"], SEASON_START + 5, "somebody-else"),
            ping(pings[3]["event_id"], SEASON_START + 6, "somebody-else"),
        ],
    )
    # A file repeating earlier ids (its events are the duplicates), a late ping 30 s after an
    # existing ping (extends that session), and a ping on a new day.
    late = pings[10]
    _land_and_build(
        data_dir,
        "04.jsonl",
        [
            {**pings[20], "event_timestamp": pings[20]["event_timestamp"] + 7},
            ping(next_id, late["event_timestamp"] + 30, late["event_data"]["user_id"]),
            ping(next_id + 1, SEASON_START + 45 * DAY, users[5]),
        ],
    )
    # A ping and a match of a user who registers only in a later file.
    newcomer = "late-registering-user"
    start = SEASON_START + 12 * DAY
    _land_and_build(
        data_dir,
        "05.jsonl",
        [
            ping(next_id + 2, start - 100, newcomer),
            match(next_id + 3, start, "late-match", newcomer, users[7]),
            match(next_id + 4, start + 600, "late-match", newcomer, users[7], goals=(0, 2)),
            event(
                next_id + 5, start, "registration", country="XX", user_id="xx-user", device_os="iOS"
            ),
        ],
    )
    assert rows(
        "SELECT count(*) FROM players.quarantine WHERE rule = 'unregistered_user' "
        "AND source_file LIKE '%05.jsonl'"
    ) == [(3,)]
    _land_and_build(
        data_dir,
        "06.jsonl",
        [
            event(
                next_id + 6,
                start - 1_000,
                "registration",
                country="US",
                user_id=newcomer,
                device_os="Web",
            )
        ],
    )
    touched = rows("SELECT count(*) FROM intermediate.int_players__touched_users")[0][0]
    registered = rows("SELECT count(*) FROM players.registration_data")[0][0]
    assert 0 < touched < registered  # the build was incremental: only some users touched
    assert rows(
        "SELECT total_points_away FROM players.match_data WHERE user_id = $1", [users[7]]
    ) and (newcomer,) in rows("SELECT user_id FROM players.registration_data")

    # A rewritten file (the late ping and the new day gone) and a new time zone.
    zones["XX"] = "Europe/Lisbon"
    land_timezones(zones)
    _land_and_build(data_dir, "04.jsonl", [{**pings[20], "event_timestamp": 1}])
    assert ("xx-user",) in rows("SELECT user_id FROM players.registration_data")

    incremental = _state()
    assert serving.snapshot_info(serving.current_version("players")).get("delta_of")
    assert _snapshot_user_days() == incremental["user_days"]
    _build(data_dir, "--full-refresh")
    full = _state()
    for name in MARTS:
        assert incremental[name] == full[name], name

    clean = expected.clean_events(_current_lines(), zones)
    counted = dict(rows("SELECT rule, count(*) FROM players.quarantine GROUP BY rule"))
    assert counted == {rule: n for rule, n in clean.rules.items() if n}
    assert {r[0] for r in full["registration_data"]} == set(clean.registrations)
