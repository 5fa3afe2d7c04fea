"""The players models on DuckDB and on Spark, over the same players lake.

What runs on Spark so far is the staging of the raw lines (`stg_players__events`: every
field's JSON type and text, the integer casts the cleaning rules read); the lines here are
the edge-case season of `test_edge_cases.py` plus one line per JSON shape a rule must tell
apart (integers written as decimals, integers beyond BIGINT, strings, nulls, objects, arrays,
booleans, missing fields), so a difference in how the engines type a field shows up here.
"""

from __future__ import annotations

import json

import pytest

from loaders.file_domain import load_once
from loaders.players import pipeline as players
from tests.players.helpers import event, land, ping
from tests.players.test_edge_cases import T0, _first_file
from tests.spark_engine import Engines, drop_schemas

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


def test_staging_is_identical_on_both_engines(engines: Engines, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(engines.duck_dir))
    monkeypatch.setenv("PLAYERS_LAKE_URL", str(engines.duck_dir / "lake" / "players"))
    _first_file()
    land("0001.jsonl", _shapes())
    loaded = load_once(players.DOMAIN)
    assert loaded.reconciliation.passed and loaded.plan.valid > 30

    drop_schemas(engines.spark, "staging", "players_raw")
    for engine in ("duckdb", "spark"):
        engines.dbt(engine, "run", "--select", "stg_players__events")
    n = engines.assert_identical("staging.stg_players__events", STAGING)
    assert n == loaded.plan.valid
