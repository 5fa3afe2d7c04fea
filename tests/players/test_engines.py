"""The players domain on DuckDB and on Spark, over the same players lake: one dbt build of
``tag:players`` per engine (module fixture), then staging, the cleaning stages, sessions,
matches, every mart, the quarantine with its rules and the reconciliation counts identical row
for row, the dbt tests passing on both targets, and the players API answering byte for byte the
same over HTTP whichever engine built the snapshot.

The inputs: a simulated season with every defect (each quarantine rule), the edge-case file of
`test_edge_cases.py`, one line per JSON shape a rule must tell apart (integers written as
decimals, beyond BIGINT, strings, nulls, objects, arrays, booleans, missing fields) and
registrations at the DST changes of three zones (local time from UTC across the gap and the
overlap). On DuckDB the build is the first (full) one; on Spark every build is full.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from loaders.file_domain import load_once
from loaders.players import pipeline as players
from simulation.players.generator import TIMEZONES, Season, generate, write_season
from tests.conftest import running_api
from tests.players.helpers import event, land, land_timezones, ping
from tests.players.test_edge_cases import T0, _first_file
from tests.spark_engine import Engines, drop_schemas, publish_with, snapshot_tables

# A JVM start (shared) and one dbt build per engine: minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

STAGING = [
    "batch_id",
    "source_file",
    "line_number",
    "raw_line",
    "event_id_json_type",
    "event_id_text",
    "event_timestamp_json_type",
    "event_timestamp_text",
    "event_type_json_type",
    "event_type",
    "event_data_json_type",
    "country_json_type",
    "country",
    "user_id_json_type",
    "user_id",
    "device_os_json_type",
    "device_os",
    "ping_type_json_type",
    "ping_type",
    "match_id_json_type",
    "match_id",
    "home_user_id_json_type",
    "home_user_id",
    "away_user_id_json_type",
    "away_user_id",
    "home_goals_json_type",
    "home_goals_text",
    "away_goals_json_type",
    "away_goals_text",
    "event_id",
    "event_timestamp",
    "home_goals",
    "away_goals",
]
EVENT = ["batch_id", "source_file", "line_number", "event_id", "event_timestamp", "event_type"]
# Every relation of the chain, with the columns compared (``refreshed_at`` is the build's time).
RELATIONS = {
    "staging.stg_players__events": STAGING,
    "staging.stg_players__files": [
        "source_file",
        "fingerprint",
        "batch_id",
        "size_bytes",
        "lines_read",
        "valid_rows",
        "quarantined_rows",
        "loaded_at",
    ],
    "staging.stg_players__load_quarantine": [
        "batch_id",
        "source_file",
        "line_number",
        "raw_line",
        "reason",
    ],
    "staging.stg_players__timezones": ["country", "timezone"],
    "intermediate.int_players__events_checked": [*EVENT, "country", "timezone", "rule"],
    "intermediate.int_players__registrations_checked": [*EVENT, "user_id", "rule"],
    "intermediate.int_players__matches_checked": [*EVENT[:5], "match_id", "rule"],
    "intermediate.int_players__clean_events": [*EVENT, "user_id", "match_id", "home_goals"],
    "intermediate.int_players__rejected_events": [*EVENT[:4], "rule"],
    "intermediate.int_players__season": ["median_timestamp"],
    "intermediate.int_players__sessions": [
        "user_id",
        "session_number",
        "session_date",
        "started_at",
        "ended_at",
        "duration_seconds",
        "pings",
    ],
    "intermediate.int_players__matches": [
        "match_id",
        "home_user_id",
        "away_user_id",
        "started_at",
        "ended_at",
        "home_goals",
        "away_goals",
        "match_date",
        "duration_seconds",
        "home_points",
        "away_points",
    ],
    "intermediate.int_players__touched_users": ["user_id"],
    "players.registration_data": [
        "user_id",
        "country",
        "timezone",
        "device_os",
        "registered_at_epoch",
        "registration_date",
        "registration_date_local_timezone",
    ],
    "players.session_data": ["user_id", "date", "session_count", "time_spent_in_game"],
    "players.match_data": [
        "user_id",
        "date",
        "matches",
        "total_duration",
        "total_points_home",
        "total_points_away",
    ],
    "players.game_stats": [
        "stats_date",
        "active_users",
        "number_of_sessions",
        "average_sessions_per_active_user",
        "top_points",
        "top_users",
    ],
    "players.user_days": [
        "user_id",
        "country",
        "registration_date_local_timezone",
        "date",
        "session_count",
        "time_spent_in_game",
        "match_seconds",
        "points_home",
        "points_away",
    ],
    "players.quarantine": [
        "source_file",
        "line_number",
        "event_id",
        "raw",
        "rule",
        "reason",
        "batch_id",
    ],
}
ALL_RULES = {
    "malformed_line",
    "invalid_event_id",
    "duplicate_event_id",
    "invalid_event_type",
    "invalid_timestamp",
    "out_of_season",
    "invalid_event_data",
    "invalid_device_os",
    "unknown_country_timezone",
    "invalid_goals",
    "self_match",
    "second_registration",
    "unregistered_user",
    "before_registration",
    "goals_on_match_start",
    "second_match_start",
    "match_end_without_start",
    "match_end_before_start",
    "match_players_mismatch",
    "second_match_end",
}


def _shapes() -> list:
    """One line per JSON shape of a field the cleaning rules type-check."""
    ids = [1.0, "7", 18446744073709551615, 99999999999999999999999, -3, None, True, [1], {"a": 1}]
    lines: list = [
        {"event_id": v, "event_timestamp": T0, "event_type": "session_ping", "event_data": {}}
        for v in ids
    ]
    lines += [
        {"event_id": 100 + n, "event_timestamp": ts, "event_type": "match", "event_data": {}}
        for n, ts in enumerate([1e3, 1.5, "1725148800", -1, 253402300800, None])
    ]
    lines += [
        {"event_id": 200, "event_timestamp": T0, "event_type": "match", "event_data": "text"},
        {"event_id": 201, "event_timestamp": T0, "event_type": ["match"], "event_data": [1]},
        {"event_id": 202, "event_timestamp": T0, "event_type": None},
        event(203, T0, "registration", country='Ré "q"', user_id=None, device_os=1),
        event(
            204,
            T0,
            "match",
            match_id=5,
            home_user_id="a",
            away_user_id="b",
            home_goals_scored=1.5,
            away_goals_scored=-2,
        ),
        ping(205, T0, "\u00e9\u4e2d", "session_start"),
        '{"event_id": 206}',
    ]
    return [x if isinstance(x, str) else json.dumps(x) for x in lines]


def _epoch(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


# UTC instants of the 2024 DST changes: New York (gap 10 Mar 07:00 UTC, overlap 3 Nov
# 06:00 UTC), Sydney (overlap 6 Apr 16:00 UTC, gap 5 Oct 16:00 UTC), London (31 Mar 01:00,
# 27 Oct 01:00 UTC); registrations one second before and at each change.
DST = {
    "US": [_epoch(2024, 3, 10, 7), _epoch(2024, 11, 3, 6)],
    "AU": [_epoch(2024, 4, 6, 16), _epoch(2024, 10, 5, 16)],
    "GB": [_epoch(2024, 3, 31, 1), _epoch(2024, 10, 27, 1)],
}


def _dst_registrations() -> list[dict]:
    lines = []
    for country, changes in DST.items():
        for change in changes:
            for ts in (change - 1, change):
                n = 9_000_000 + len(lines)
                lines.append(
                    event(
                        n, ts, "registration", country=country, user_id=f"dst{n}", device_os="Web"
                    )
                )
                lines.append(ping(n + 500, ts + 10, f"dst{n}"))
    return lines


def _season() -> Season:
    """A small season with every defect, its event ids moved above the hand-written lines'."""
    season = generate(users=24, seed=3, defects_each=1)
    shift = re.compile(r'^\{"event_id": (\d+),')
    season.lines = [
        shift.sub(lambda m: f'{{"event_id": {int(m[1]) + 100_000},', line, count=1)
        for line in season.lines
    ]
    return season


@pytest.fixture(scope="module")
def built(spark_session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The inputs loaded once into one players lake, and ``tag:players`` built (with its dbt
    tests) once on each engine."""
    session, spark_dir = spark_session
    root = tmp_path_factory.mktemp("players-engines")
    duck_dir = root / "duck"
    duck_dir.mkdir()
    engines = Engines(session, spark_dir, duck_dir, "local[2]")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRIBUTARY_DATA_DIR", str(duck_dir))
        mp.setenv("PLAYERS_LAKE_URL", str(root / "lake"))
        landing = duck_dir / "landing"
        write_season(_season(), landing / "players" / "season", root / "season_timezones.json")
        _first_file()  # 0000.jsonl and its time zones, replaced just below by the season's
        land_timezones(TIMEZONES)
        land("0001.jsonl", _shapes())
        land("0002.jsonl", _dst_registrations())
        loaded = load_once(players.DOMAIN)
        assert loaded.reconciliation.passed and loaded.plan.quarantined > 0

        drop_schemas(session, "players", "intermediate", "staging", "players_raw")
        for engine in ("duckdb", "spark"):
            engines.dbt(engine, "build", "--select", "tag:players")
        yield engines, loaded, mp


def test_every_relation_of_the_chain_is_identical_on_both_engines(built):
    engines, loaded, _ = built
    counts = {rel: engines.assert_identical(rel, cols) for rel, cols in RELATIONS.items()}
    assert counts["staging.stg_players__events"] == loaded.plan.valid
    assert counts["players.registration_data"] > 20 and counts["players.game_stats"] > 20
    rules = {r for (r,) in engines.spark_rows("players.quarantine", ["distinct rule"])}
    assert rules == ALL_RULES
    # the local registration times across the DST changes (same on both engines, checked above)
    local = dict(
        engines.spark_rows(
            "players.registration_data",
            ["registered_at_epoch", "registration_date_local_timezone"],
        )
    )
    assert [local[t] for c in DST["US"] for t in (c - 1, c)] == [
        "2024-03-10 01:59:59",
        "2024-03-10 03:00:00",
        "2024-11-03 01:59:59",
        "2024-11-03 01:00:00",
    ]
    assert [local[t] for c in DST["AU"] for t in (c - 1, c)] == [
        "2024-04-07 02:59:59",
        "2024-04-07 02:00:00",
        "2024-10-06 01:59:59",
        "2024-10-06 03:00:00",
    ]
    # the reconciliation counts, as each engine reads them from the lake's load records
    totals = ["sum(lines_read)", "sum(valid_rows)", "sum(quarantined_rows)"]
    recon = engines.duck_rows("staging.stg_players__files", totals)
    assert recon == engines.spark_rows("staging.stg_players__files", totals)
    read, valid, quarantined = recon[0]
    check = loaded.reconciliation
    assert (read, valid, quarantined) == (check.lines_read, check.valid, check.quarantined)
    clean = engines.spark_rows("intermediate.int_players__clean_events", ["count(*)"])[0][0]
    rejected = engines.spark_rows("players.quarantine", ["count(*)"])[0][0]
    assert read == clean + rejected


def _answers(data_dir: Path, users: list[str], days: list[str]) -> list[bytes]:
    with running_api(data_dir) as base:
        answers = [
            httpx.get(f"{base}/api/user-stats", params={"user_id": u, **d}, timeout=30).content
            for u in users
            for d in [{}, *({"date": day} for day in days)]
        ]
        answers += [
            httpx.get(f"{base}/api/game-stats", params=d, timeout=30).content
            for d in [{}, *({"date": day} for day in days)]
        ]
    return answers


def test_the_api_answers_the_same_whichever_engine_built_the_snapshot(built):
    engines, _, mp = built
    duck_snap = publish_with(players.publish_serving, engines.duck_dir, "duckdb", mp)
    spark_snap = publish_with(players.publish_serving, engines.spark_dir, "spark", mp)
    assert snapshot_tables(duck_snap, "players") == snapshot_tables(spark_snap, "players")
    users = [u for (u,) in engines.duck_rows("players.registration_data", ["user_id"])][:12]
    days = [str(d) for (d,) in engines.duck_rows("players.game_stats", ["stats_date"]) if d][:6]
    on_duck = _answers(engines.duck_dir, [*users, "nobody"], days)
    assert sum(b'"number_of_sessions"' in a for a in on_duck) > len(users)
    assert on_duck == _answers(engines.spark_dir, [*users, "nobody"], days)


def test_after_new_files_duckdb_incremental_build_equals_a_spark_full_build(built):
    """A second load (a late registration validating earlier pings, a new ping, an id taken by
    an earlier line, a rewritten file): DuckDB rebuilds only the touched users, Spark
    everything, and the marts, the quarantine and the staged files are still identical."""
    engines, _, _ = built
    land(
        "0003.jsonl",
        [
            event(
                9_100_000, T0 + 40, "registration", country="US", user_id="ghost", device_os="iOS"
            ),
            ping(9_100_001, T0 + 3_000, "u2"),
            ping(3, T0 + 6_000, "u2"),  # the first occurrence of id 3 stays in 0000.jsonl
        ],
    )
    land("0001.jsonl", _shapes()[:-3])  # rewritten: its old batch's rows are replaced
    loaded = load_once(players.DOMAIN)
    assert loaded.reconciliation.passed and len(loaded.plan.pending) == 2
    for engine in ("duckdb", "spark"):
        engines.dbt(engine, "build", "--select", "tag:players")
    touched = engines.duck_rows("intermediate.int_players__touched_users", ["user_id"])
    assert ("ghost",) in touched and len(touched) < len(
        engines.duck_rows("players.registration_data", ["user_id"])
    )
    for rel, cols in RELATIONS.items():
        if not rel.startswith("intermediate."):
            engines.assert_identical(rel, cols)
    ghost = engines.spark_rows("players.session_data", ["user_id"])
    assert ("ghost",) in ghost
