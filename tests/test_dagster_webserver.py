"""The code location as Dagster sees it.

- the Definitions load cleanly: no error, no warning raised from our own code, no Dagster
  beta/preview/supersession warning, nothing logged at WARNING or above;
- the asset graph, checks, jobs, sensors and schedules match a literal written below, so a
  rename or a broken lineage edge shows up in review;
- a real ``dagster-webserver`` serving the code location lists, over its GraphQL API, exactly
  what the in-process Definitions contain.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# ---------------------------------------------------------------------------------------------
# (a) a clean load, in a fresh interpreter so import-time warnings are seen whatever ran before.

LOAD_SCRIPT = r"""
import json, logging, warnings

records = []


class Collect(logging.Handler):
    def emit(self, record):
        records.append({"logger": record.name, "level": record.levelname, "message": record.getMessage()})


logging.getLogger().addHandler(Collect(level=logging.WARNING))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import dagster as dg

    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    repo.load_all_definitions()
    defs.resolve_asset_graph()
    defs.resolve_all_job_defs()
    defs.resolve_all_asset_specs()
    jobs = sorted(repo.job_names)
print("LOAD-REPORT " + json.dumps({
    "jobs": jobs,
    "warnings": [
        {
            "filename": w.filename,
            "lineno": w.lineno,
            "category": f"{w.category.__module__}.{w.category.__qualname__}",
            "message": str(w.message),
        }
        for w in caught
    ],
    "records": records,
}))
"""

# Dagster's own warning classes (dagster_shared.utils.warnings): they fire only when our
# definitions use a beta, preview or superseded API, wherever the stack level points.
DAGSTER_API_WARNINGS = (
    "BetaWarning",
    "PreviewWarning",
    "SupersessionWarning",
    "ConfigArgumentWarning",
)


def load_report(root: Path, data_dir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT],
        cwd=root,
        env={**os.environ, "TRIBUTARY_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the Definitions failed to load:\n{proc.stderr[-4000:]}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("LOAD-REPORT "))
    return json.loads(line.removeprefix("LOAD-REPORT "))


def is_ours(filename: str, root: Path = REPO) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(root) and not path.is_relative_to(root / ".venv")


def test_definitions_load_without_errors_or_warnings(tmp_path):
    report = load_report(REPO, tmp_path / "data")

    assert "gaming_refresh" in report["jobs"]  # it really loaded our code location
    ours = [w for w in report["warnings"] if is_ours(w["filename"])]
    assert ours == []
    dagster_api = [w for w in report["warnings"] if w["category"].endswith(DAGSTER_API_WARNINGS)]
    assert dagster_api == []
    assert report["records"] == []


# ---------------------------------------------------------------------------------------------
# (b) the asset graph as a literal.

_GAMING_RAW = [
    "gaming_raw/events",
    "gaming_raw/file_loads",
    "gaming_raw/files",
    "gaming_raw/quarantine",
]
_GAMING_ALL = sorted(
    [
        "gaming/quarantine",
        "gaming/revenue",
        "gaming/user",
        "gaming/user_events",
        *_GAMING_RAW,
        "intermediate/int_gaming__current_events",
        "intermediate/int_gaming__current_quarantine",
        "serving/gaming",
        "staging/stg_gaming__events",
        "staging/stg_gaming__files",
        "staging/stg_gaming__quarantine",
    ]
)

_PLAYERS_RAW = [
    "players_raw/events",
    "players_raw/file_loads",
    "players_raw/files",
    "players_raw/quarantine",
    "players_raw/timezones",
]
_PLAYERS_ALL = sorted(
    [
        "intermediate/int_players__clean_events",
        "intermediate/int_players__current_events",
        "intermediate/int_players__current_load_quarantine",
        "intermediate/int_players__events_checked",
        "intermediate/int_players__matches",
        "intermediate/int_players__matches_checked",
        "intermediate/int_players__registrations_checked",
        "intermediate/int_players__rejected_events",
        "intermediate/int_players__sessions",
        "players/game_stats",
        "players/match_data",
        "players/quarantine",
        "players/registration_data",
        "players/session_data",
        "serving/players",
        "staging/stg_players__events",
        "staging/stg_players__files",
        "staging/stg_players__load_quarantine",
        "staging/stg_players__timezones",
        *_PLAYERS_RAW,
    ]
)

_ADREPORTS_ALL = sorted(
    [
        "adreports/daily_revenue",
        "adreports/daily_status",
        "adreports_raw/accepted_rows",
        "adreports_raw/pulls",
        "adreports_raw/report_rows",
        "intermediate/int_adreports__day_status",
        "serving/adreports",
        "staging/stg_adreports__accepted_rows",
        "staging/stg_adreports__pulls",
    ]
)

_LOCATION_ALL = sorted(
    [
        "intermediate/int_location__minute_steps",
        "location/user_day",
        "location/user_minute",
        "location_raw/minutes",
        "staging/stg_location__minutes",
    ]
)

_COMMERCE_ALL = sorted(
    [
        "commerce/ctr_minute",
        "commerce/view_quarantine",
        "commerce_shop/order_items",
        "commerce_shop/orders",
        "commerce_views/file_loads",
        "commerce_views/files",
        "commerce_views/quarantine",
        "commerce_views/views",
        "intermediate/int_commerce__purchases",
        "serving/commerce",
        "staging/stg_commerce__order_items",
        "staging/stg_commerce__orders",
        "staging/stg_commerce__view_files",
        "staging/stg_commerce__view_quarantine",
        "staging/stg_commerce__views",
    ]
)

_EVENTS_REFRESH = sorted(
    [
        "events/events_daily_active_users",
        "events/events_daily_kpis",
        "events/events_daily_type_counts",
        "events_lake/events",
        "events_lake/quarantine",
        "staging/stg_events__events",
        "staging/stg_events__quarantine",
    ]
)

EXPECTED_GRAPH = {
    # asset key -> group and upstream asset keys
    "assets": {
        "gaming/quarantine": {
            "group": "gaming",
            "deps": ["intermediate/int_gaming__current_quarantine"],
        },
        "gaming/revenue": {"group": "gaming", "deps": ["intermediate/int_gaming__current_events"]},
        "gaming/user": {"group": "gaming", "deps": ["gaming/user_events"]},
        "gaming/user_events": {
            "group": "gaming",
            "deps": ["intermediate/int_gaming__current_events"],
        },
        "gaming_raw/events": {"group": "gaming", "deps": []},
        "gaming_raw/file_loads": {"group": "gaming", "deps": []},
        "gaming_raw/files": {"group": "gaming", "deps": []},
        "gaming_raw/quarantine": {"group": "gaming", "deps": []},
        "intermediate/int_gaming__current_events": {
            "group": "gaming",
            "deps": ["staging/stg_gaming__events", "staging/stg_gaming__files"],
        },
        "intermediate/int_gaming__current_quarantine": {
            "group": "gaming",
            "deps": ["staging/stg_gaming__files", "staging/stg_gaming__quarantine"],
        },
        "serving/gaming": {"group": "gaming", "deps": ["gaming/revenue", "gaming/user_events"]},
        "staging/stg_gaming__events": {"group": "gaming", "deps": ["gaming_raw/events"]},
        "staging/stg_gaming__files": {"group": "gaming", "deps": ["gaming_raw/files"]},
        "staging/stg_gaming__quarantine": {"group": "gaming", "deps": ["gaming_raw/quarantine"]},
        "intermediate/int_players__clean_events": {
            "group": "players",
            "deps": [
                "intermediate/int_players__matches_checked",
                "intermediate/int_players__registrations_checked",
            ],
        },
        "intermediate/int_players__current_events": {
            "group": "players",
            "deps": ["staging/stg_players__events", "staging/stg_players__files"],
        },
        "intermediate/int_players__current_load_quarantine": {
            "group": "players",
            "deps": ["staging/stg_players__files", "staging/stg_players__load_quarantine"],
        },
        "intermediate/int_players__events_checked": {
            "group": "players",
            "deps": ["intermediate/int_players__current_events", "staging/stg_players__timezones"],
        },
        "intermediate/int_players__matches": {
            "group": "players",
            "deps": ["intermediate/int_players__clean_events"],
        },
        "intermediate/int_players__matches_checked": {
            "group": "players",
            "deps": ["intermediate/int_players__registrations_checked"],
        },
        "intermediate/int_players__registrations_checked": {
            "group": "players",
            "deps": ["intermediate/int_players__events_checked"],
        },
        "intermediate/int_players__rejected_events": {
            "group": "players",
            "deps": [
                "intermediate/int_players__events_checked",
                "intermediate/int_players__matches_checked",
                "intermediate/int_players__registrations_checked",
            ],
        },
        "intermediate/int_players__sessions": {
            "group": "players",
            "deps": ["intermediate/int_players__clean_events"],
        },
        "players/game_stats": {
            "group": "players",
            "deps": ["players/match_data", "players/session_data"],
        },
        "players/match_data": {"group": "players", "deps": ["intermediate/int_players__matches"]},
        "players/quarantine": {
            "group": "players",
            "deps": [
                "intermediate/int_players__current_load_quarantine",
                "intermediate/int_players__rejected_events",
            ],
        },
        "players/registration_data": {
            "group": "players",
            "deps": ["intermediate/int_players__clean_events"],
        },
        "players/session_data": {
            "group": "players",
            "deps": ["intermediate/int_players__sessions"],
        },
        "players_raw/events": {"group": "players", "deps": []},
        "players_raw/file_loads": {"group": "players", "deps": []},
        "players_raw/files": {"group": "players", "deps": []},
        "players_raw/quarantine": {"group": "players", "deps": []},
        "players_raw/timezones": {"group": "players", "deps": []},
        "serving/players": {
            "group": "players",
            "deps": [
                "players/game_stats",
                "players/match_data",
                "players/registration_data",
                "players/session_data",
            ],
        },
        "staging/stg_players__events": {"group": "players", "deps": ["players_raw/events"]},
        "staging/stg_players__files": {"group": "players", "deps": ["players_raw/files"]},
        "staging/stg_players__load_quarantine": {
            "group": "players",
            "deps": ["players_raw/quarantine"],
        },
        "staging/stg_players__timezones": {"group": "players", "deps": ["players_raw/timezones"]},
        "adreports/daily_revenue": {
            "group": "adreports",
            "deps": [
                "intermediate/int_adreports__day_status",
                "staging/stg_adreports__accepted_rows",
            ],
        },
        "adreports/daily_status": {
            "group": "adreports",
            "deps": ["intermediate/int_adreports__day_status"],
        },
        "adreports_raw/accepted_rows": {"group": "adreports", "deps": []},
        "adreports_raw/pulls": {"group": "adreports", "deps": []},
        "adreports_raw/report_rows": {"group": "adreports", "deps": []},
        "intermediate/int_adreports__day_status": {
            "group": "adreports",
            "deps": ["staging/stg_adreports__pulls"],
        },
        "serving/adreports": {
            "group": "adreports",
            "deps": ["adreports/daily_revenue", "adreports/daily_status"],
        },
        "staging/stg_adreports__accepted_rows": {
            "group": "adreports",
            "deps": ["adreports_raw/accepted_rows"],
        },
        "staging/stg_adreports__pulls": {"group": "adreports", "deps": ["adreports_raw/pulls"]},
        "intermediate/int_location__minute_steps": {
            "group": "location",
            "deps": ["location/user_minute"],
        },
        "location/user_day": {
            "group": "location",
            "deps": ["intermediate/int_location__minute_steps"],
        },
        "location/user_minute": {"group": "location", "deps": ["staging/stg_location__minutes"]},
        "location_raw/minutes": {"group": "location", "deps": []},
        "staging/stg_location__minutes": {"group": "location", "deps": ["location_raw/minutes"]},
        "commerce/ctr_minute": {
            "group": "commerce",
            "deps": ["intermediate/int_commerce__purchases", "staging/stg_commerce__views"],
        },
        "commerce/view_quarantine": {
            "group": "commerce",
            "deps": ["staging/stg_commerce__view_quarantine"],
        },
        "commerce_shop/order_items": {"group": "commerce", "deps": []},
        "commerce_shop/orders": {"group": "commerce", "deps": []},
        "commerce_views/file_loads": {"group": "commerce", "deps": []},
        "commerce_views/files": {"group": "commerce", "deps": []},
        "commerce_views/quarantine": {"group": "commerce", "deps": []},
        "commerce_views/views": {"group": "commerce", "deps": []},
        "intermediate/int_commerce__purchases": {
            "group": "commerce",
            "deps": ["staging/stg_commerce__order_items", "staging/stg_commerce__orders"],
        },
        "serving/commerce": {"group": "commerce", "deps": ["commerce/ctr_minute"]},
        "staging/stg_commerce__order_items": {
            "group": "commerce",
            "deps": ["commerce_shop/order_items"],
        },
        "staging/stg_commerce__orders": {"group": "commerce", "deps": ["commerce_shop/orders"]},
        "staging/stg_commerce__view_files": {"group": "commerce", "deps": ["commerce_views/files"]},
        "staging/stg_commerce__view_quarantine": {
            "group": "commerce",
            "deps": ["commerce_views/quarantine", "staging/stg_commerce__view_files"],
        },
        "staging/stg_commerce__views": {
            "group": "commerce",
            "deps": ["commerce_views/views", "staging/stg_commerce__view_files"],
        },
        "events/events_daily_active_users": {
            "group": "events",
            "deps": ["staging/stg_events__events"],
        },
        "events/events_daily_kpis": {
            "group": "events",
            "deps": ["events/events_daily_active_users", "events/events_daily_type_counts"],
        },
        "events/events_daily_type_counts": {
            "group": "events",
            "deps": ["staging/stg_events__events"],
        },
        "events_lake/events": {"group": "events", "deps": []},
        "events_lake/hours": {"group": "events", "deps": []},
        "events_lake/quarantine": {"group": "events", "deps": []},
        "staging/stg_events__events": {"group": "events", "deps": ["events_lake/events"]},
        "staging/stg_events__quarantine": {"group": "events", "deps": ["events_lake/quarantine"]},
    },
    # "asset key:check name" -> blocking
    "checks": {
        "gaming/quarantine:not_null_gaming_quarantine_reason": True,
        "gaming/quarantine:not_null_gaming_quarantine_source_file": True,
        "gaming/revenue:not_null_gaming_revenue_total_spend": True,
        "gaming/revenue:not_null_gaming_revenue_user": True,
        "gaming/revenue:text_matches_gaming_revenue_total_spend___0_9_0_9_2_": True,
        "gaming/revenue:unique_gaming_revenue_user": True,
        "gaming/user:not_null_gaming_user_evtname": True,
        "gaming/user:not_null_gaming_user_timestamp": True,
        "gaming/user:not_null_gaming_user_user": True,
        "gaming/user_events:not_null_gaming_user_events_evtname": True,
        "gaming/user_events:not_null_gaming_user_events_timestamp": True,
        "gaming/user_events:not_null_gaming_user_events_user": True,
        "gaming/user_events:unique_combination_gaming_user_events_source_file__line_number": True,
        "gaming_raw/events:lines_reconcile": True,
        "intermediate/int_gaming__current_events:"
        "unique_combination_int_gaming__current_events_source_file__line_number": True,
        "intermediate/int_gaming__current_quarantine:"
        "unique_combination_int_gaming__current_quarantine_source_file__line_number": True,
        "staging/stg_gaming__files:assert_gaming_lines_reconcile": True,
        "staging/stg_gaming__files:not_null_stg_gaming__files_source_file": True,
        "staging/stg_gaming__files:unique_stg_gaming__files_source_file": True,
        "intermediate/int_players__clean_events:"
        "accepted_values_int_players__clean_events_event_type__registration__session_ping__match": True,
        "intermediate/int_players__clean_events:not_null_int_players__clean_events_event_id": True,
        "intermediate/int_players__clean_events:"
        "not_null_int_players__clean_events_input_order": True,
        "intermediate/int_players__clean_events:"
        "players_clean_events_one_start_and_one_end_per_match": True,
        "intermediate/int_players__clean_events:unique_int_players__clean_events_event_id": True,
        "intermediate/int_players__clean_events:unique_int_players__clean_events_input_order": True,
        "intermediate/int_players__current_events:"
        "not_null_int_players__current_events_input_order": True,
        "intermediate/int_players__current_events:"
        "unique_combination_int_players__current_events_source_file__line_number": True,
        "intermediate/int_players__current_events:"
        "unique_int_players__current_events_input_order": True,
        "intermediate/int_players__events_checked:"
        "not_null_int_players__events_checked_input_order": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_duplicate_event_id_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_invalid_device_os_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_invalid_event_id_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_invalid_event_type_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_invalid_goals_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_invalid_timestamp_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_self_match_holds": True,
        "intermediate/int_players__events_checked:"
        "players_events_checked_rule_unknown_country_timezone_holds": True,
        "intermediate/int_players__events_checked:"
        "unique_int_players__events_checked_input_order": True,
        "intermediate/int_players__matches:int_players__matches_away_points_are_0_1_or_3": True,
        "intermediate/int_players__matches:int_players__matches_home_points_are_0_1_or_3": True,
        "intermediate/int_players__matches:not_null_int_players__matches_match_id": True,
        "intermediate/int_players__matches:unique_int_players__matches_match_id": True,
        "intermediate/int_players__matches_checked:"
        "not_null_int_players__matches_checked_input_order": True,
        "intermediate/int_players__matches_checked:"
        "not_null_int_players__matches_checked_rule": True,
        "intermediate/int_players__matches_checked:"
        "unique_int_players__matches_checked_input_order": True,
        "intermediate/int_players__registrations_checked:"
        "not_null_int_players__registrations_checked_input_order": True,
        "intermediate/int_players__registrations_checked:"
        "players_registrations_checked_rule_second_registration_holds": True,
        "intermediate/int_players__registrations_checked:"
        "unique_int_players__registrations_checked_input_order": True,
        "intermediate/int_players__rejected_events:"
        "not_null_int_players__rejected_events_rule": True,
        "intermediate/int_players__rejected_events:"
        "unique_combination_int_players__rejected_events_source_file__line_number": True,
        "intermediate/int_players__sessions:assert_players_sessions_match_type_based": True,
        "intermediate/int_players__sessions:int_players__sessions_duration_not_negative": True,
        "intermediate/int_players__sessions:"
        "unique_combination_int_players__sessions_user_id__session_number": True,
        "players/game_stats:unique_players_game_stats_stats_date": True,
        "players/match_data:not_null_players_match_data_date": True,
        "players/match_data:not_null_players_match_data_user_id": True,
        "players/match_data:unique_combination_players_match_data_user_id___date_": True,
        "players/quarantine:assert_players_events_reconcile": True,
        "players/quarantine:not_null_players_quarantine_reason": True,
        "players/quarantine:not_null_players_quarantine_rule": True,
        "players/quarantine:not_null_players_quarantine_source_file": True,
        "players/quarantine:players_quarantine_rule_is_a_known_rule": True,
        "players/quarantine:unique_combination_players_quarantine_source_file__line_number": True,
        "players/registration_data:"
        "accepted_values_players_registration_data_device_os__iOS__Android__Web": True,
        "players/registration_data:not_null_players_registration_data_country": True,
        "players/registration_data:not_null_players_registration_data_timezone": True,
        "players/registration_data:not_null_players_registration_data_user_id": True,
        "players/registration_data:players_registration_data_local_time_format": True,
        "players/registration_data:unique_players_registration_data_user_id": True,
        "players/session_data:not_null_players_session_data_date": True,
        "players/session_data:not_null_players_session_data_user_id": True,
        "players/session_data:"
        "relationships_players_session_data_user_id__user_id__ref_players_registration_data_": True,
        "players/session_data:unique_combination_players_session_data_user_id___date_": True,
        "players_raw/events:lines_reconcile": True,
        "events/events_daily_active_users:not_null_events_daily_active_users_event_date": True,
        "events/events_daily_active_users:unique_events_daily_active_users_event_date": True,
        "events/events_daily_kpis:not_null_events_daily_kpis_event_date": True,
        "events/events_daily_kpis:unique_events_daily_kpis_event_date": True,
        "events/events_daily_type_counts:not_null_events_daily_type_counts_event_date": True,
        "events/events_daily_type_counts:not_null_events_daily_type_counts_event_type": True,
        "events_lake/events:batches_reconcile": True,
        "events_lake/hours:batches_reconcile": True,
        "staging/stg_events__events:not_null_stg_events__events_event_id": True,
        "staging/stg_events__quarantine:not_null_stg_events__quarantine_reason": True,
        "staging/stg_players__files:not_null_stg_players__files_source_file": True,
        "staging/stg_players__files:unique_stg_players__files_source_file": True,
        "staging/stg_players__timezones:not_null_stg_players__timezones_country": True,
        "staging/stg_players__timezones:not_null_stg_players__timezones_timezone": True,
        "staging/stg_players__timezones:unique_stg_players__timezones_country": True,
        # adreports: the completeness checks block per day in the data, not in Dagster.
        "adreports_raw/report_rows:day_not_empty": False,
        "adreports_raw/report_rows:pages_complete": False,
        "adreports_raw/report_rows:totals_match_provider": False,
        "adreports_raw/report_rows:volume_vs_trailing_median": False,
        "adreports/daily_revenue:accepted_values_adreports_daily_revenue_completeness_status"
        "__complete__low_volume__stale": True,
        "adreports/daily_revenue:assert_adreports_revenue_reconciles": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_app_id": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_clicks": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_completeness_status": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_country": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_earnings": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_impressions": True,
        "adreports/daily_revenue:not_null_adreports_daily_revenue_report_date": True,
        "adreports/daily_revenue:"
        "unique_combination_adreports_daily_revenue_report_date__app_id__country": True,
        "adreports/daily_status:accepted_values_adreports_daily_status_completeness_status"
        "__complete__low_volume__stale__missing": True,
        "adreports/daily_status:not_null_adreports_daily_status_completeness_status": True,
        "adreports/daily_status:not_null_adreports_daily_status_report_date": True,
        "adreports/daily_status:unique_adreports_daily_status_report_date": True,
        "intermediate/int_adreports__day_status:"
        "not_null_int_adreports__day_status_report_date": True,
        "intermediate/int_adreports__day_status:unique_int_adreports__day_status_report_date": True,
        "staging/stg_adreports__accepted_rows:unique_combination_stg_adreports__accepted_rows"
        "_report_date__app_id__ad_unit_id__country__ad_source_id": True,
        "staging/stg_adreports__pulls:"
        "accepted_values_stg_adreports__pulls_pull_status__passed__warned__failed": True,
        "staging/stg_adreports__pulls:"
        "unique_combination_stg_adreports__pulls_pull_id__report_date": True,
        "location/user_day:not_null_location_user_day_day_utc": True,
        "location/user_day:not_null_location_user_day_user_id": True,
        "location/user_day:unique_combination_location_user_day_user_id__day_utc": True,
        "location/user_minute:not_null_location_user_minute_minute_utc": True,
        "location/user_minute:not_null_location_user_minute_points": True,
        "location/user_minute:not_null_location_user_minute_user_id": True,
        "location/user_minute:unique_combination_location_user_minute_user_id__minute_utc": True,
        "location_raw/minutes:minutes_reconcile": True,
        "commerce/ctr_minute:accepted_values_commerce_ctr_minute_platform__iOS__Android__MobileWeb": True,
        "commerce/ctr_minute:assert_commerce_purchases_reconcile": True,
        "commerce/ctr_minute:not_null_commerce_ctr_minute_minute_at": True,
        "commerce/ctr_minute:not_null_commerce_ctr_minute_platform": True,
        "commerce/ctr_minute:not_null_commerce_ctr_minute_product": True,
        "commerce/ctr_minute:not_null_commerce_ctr_minute_purchases": True,
        "commerce/ctr_minute:not_null_commerce_ctr_minute_views": True,
        "commerce/ctr_minute:unique_combination_commerce_ctr_minute_minute_at__platform__product": True,
        "commerce_shop/order_items:matches_shop_db": True,
        "commerce_shop/orders:matches_shop_db": True,
        "commerce_views/views:events_reconcile": True,
        "intermediate/int_commerce__purchases:accepted_values_int_commerce__purchases_platform__iOS__Android__MobileWeb": True,
        "intermediate/int_commerce__purchases:not_null_int_commerce__purchases_order_id": True,
        "intermediate/int_commerce__purchases:not_null_int_commerce__purchases_product": True,
        "intermediate/int_commerce__purchases:relationships_int_commerce__purchases_order_id__order_id__ref_stg_commerce__orders_": True,
        "staging/stg_commerce__order_items:not_null_stg_commerce__order_items_order_id": True,
        "staging/stg_commerce__order_items:not_null_stg_commerce__order_items_product": True,
        "staging/stg_commerce__order_items:relationships_stg_commerce__order_items_order_id__order_id__ref_stg_commerce__orders_": False,
        "staging/stg_commerce__order_items:unique_combination_stg_commerce__order_items_order_id__item_number": True,
        "staging/stg_commerce__orders:not_null_stg_commerce__orders_order_id": True,
        "staging/stg_commerce__orders:not_null_stg_commerce__orders_ordered_at": True,
        "staging/stg_commerce__orders:unique_stg_commerce__orders_order_id": True,
        "staging/stg_commerce__view_files:unique_stg_commerce__view_files_source_file": True,
        "staging/stg_commerce__views:accepted_values_stg_commerce__views_platform__iOS__Android__MobileWeb": True,
        "staging/stg_commerce__views:not_null_stg_commerce__views_product": True,
        "staging/stg_commerce__views:not_null_stg_commerce__views_viewed_at": True,
    },
    # job -> the assets it materialises (Dagster's implicit "__ASSET_JOB" left out)
    "jobs": {
        "gaming_refresh": _GAMING_ALL,
        "players_refresh": _PLAYERS_ALL,
        "adreports_daily": _ADREPORTS_ALL,
        "adreports_refresh": _ADREPORTS_ALL,
        "location_refresh": _LOCATION_ALL,
        "commerce_refresh": _COMMERCE_ALL,
        "events_refresh": _EVENTS_REFRESH,
        "events_hour": ["events_lake/hours"],
    },
    # sensor -> the assets and jobs it targets, and its default status
    "sensors": {
        "gaming_landing_sensor": {"assets": _GAMING_RAW, "jobs": [], "status": "RUNNING"},
        "players_landing_sensor": {"assets": _PLAYERS_ALL, "jobs": [], "status": "RUNNING"},
        "adreports_check_alert_sensor": {"assets": [], "jobs": [], "status": "RUNNING"},
        "adreports_run_failure_alert_sensor": {"assets": [], "jobs": [], "status": "RUNNING"},
        "commerce_sensor": {"assets": _COMMERCE_ALL, "jobs": [], "status": "RUNNING"},
        "events_files_sensor": {"assets": _EVENTS_REFRESH, "jobs": [], "status": "RUNNING"},
        "events_stream_sensor": {
            "assets": ["events_lake/events", "events_lake/quarantine"],
            "jobs": [],
            "status": "RUNNING",
        },
    },
    "schedules": ["adreports_daily_schedule", "location_refresh_schedule"],
}


def _user_job(name: str) -> bool:
    return not name.startswith("__")


def graph_from_definitions() -> dict:
    """The summary above, taken from the in-process Definitions."""
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(k.to_user_string() for k in graph.get(key).parent_keys),
        }
        for key in graph.get_all_asset_keys()
    }
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
    }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        for job in defs.resolve_all_job_defs()
        if _user_job(job.name)
    }
    sensors = {
        sensor.name: {
            "assets": sorted(k.to_user_string() for k in sensor.asset_selection.resolve(graph))
            if sensor.asset_selection is not None
            else [],
            "jobs": sorted(
                n for n in (sensor.job_names if sensor.has_jobs else []) if _user_job(n)
            ),
            "status": sensor.default_status.value,
        }
        for sensor in repo.sensor_defs
    }
    schedules = sorted(s.name for s in repo.schedule_defs)
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "sensors": sensors,
        "schedules": schedules,
    }


def test_asset_graph_snapshot():
    assert graph_from_definitions() == EXPECTED_GRAPH


# ---------------------------------------------------------------------------------------------
# (c) a real webserver.

GRAPH_QUERY = """
query CodeLocationSummary {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message stack } }
      }
    }
    ... on PythonError { message }
  }
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name }
        sensors {
          name
          defaultStatus
          targets { pipelineName }
          assetSelection { assetKeys { path } }
        }
        schedules { name }
      }
    }
    ... on PythonError { message }
  }
  assetNodes {
    assetKey { path }
    groupName
    dependencyKeys { path }
    jobNames
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking } }
      ... on Error { message }
    }
  }
}
"""


class Webserver:
    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log

    def graphql(self, query: str) -> dict:
        import httpx

        response = httpx.post(f"{self.base}/graphql", json={"query": query}, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def log_text(self) -> str:
        return re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))


def _location_loaded(server: Webserver) -> bool:
    workspace = server.graphql(
        "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
    )
    entries = workspace["workspaceOrError"].get("locationEntries") or []
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    """``dagster-webserver`` (code location from ``[tool.dagster]``) in its own process group, over a
    throwaway data dir and DAGSTER_HOME; stopped (with its code server) at the end."""
    import httpx

    root = tmp_path_factory.mktemp("webserver")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    log = root / "webserver.log"
    port = free_port()
    env = {**os.environ, "TRIBUTARY_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(home)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "dagster-webserver"),
                *("-h", "127.0.0.1", "-p", str(port)),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Webserver(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(
                    f"{server.base}/server_info", timeout=2
                ).status_code == 200 and _location_loaded(server):
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(
                    f"dagster-webserver exited ({proc.returncode}):\n{server.log_text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dagster-webserver not ready within 90 s:\n{server.log_text()[-4000:]}"
                )
            time.sleep(0.5)
        yield server
    finally:
        # The whole process group: the webserver and the code server it started.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def graph_from_webserver(data: dict) -> dict:
    """The same summary as ``graph_from_definitions``, from the GraphQL answer."""
    [repository] = data["repositoriesOrError"]["nodes"]
    nodes = data["assetNodes"]

    def key(node: dict) -> str:
        return "/".join(node["path"])

    assets = {
        key(n["assetKey"]): {
            "group": n["groupName"],
            "deps": sorted(key(d) for d in n["dependencyKeys"]),
        }
        for n in nodes
    }
    checks = {}
    for n in nodes:
        result = n["assetChecksOrError"]
        assert result["__typename"] == "AssetChecks", result
        for c in result["checks"]:
            checks[f"{key(n['assetKey'])}:{c['name']}"] = c["blocking"]
    jobs = {
        job["name"]: sorted(key(n["assetKey"]) for n in nodes if job["name"] in n["jobNames"])
        for job in repository["jobs"]
        if _user_job(job["name"])
    }
    sensors = {
        s["name"]: {
            "assets": sorted(key(k) for k in (s["assetSelection"] or {}).get("assetKeys", [])),
            "jobs": sorted(
                t["pipelineName"] for t in s["targets"] or [] if _user_job(t["pipelineName"])
            ),
            "status": s["defaultStatus"],
        }
        for s in repository["sensors"]
    }
    schedules = sorted(s["name"] for s in repository["schedules"])
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "sensors": sensors,
        "schedules": schedules,
    }


@pytest.mark.slow
def test_webserver_lists_exactly_the_definitions(webserver):
    data = webserver.graphql(GRAPH_QUERY)

    [entry] = data["workspaceOrError"]["locationEntries"]
    assert entry["name"] == "tributary"
    assert entry["loadStatus"] == "LOADED"
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
    [repository] = data["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "tributary"

    served = graph_from_webserver(data)
    assert served["jobs"] and served["assets"] and served["checks"]  # not two empty summaries
    assert served == graph_from_definitions()

    log = webserver.log_text()
    problems = [
        line for line in log.splitlines() if re.search(r" - (ERROR|CRITICAL) - |Traceback", line)
    ]
    assert problems == []


@pytest.mark.slow
def test_webserver_log_has_no_warnings(webserver):
    webserver.graphql(GRAPH_QUERY)  # load everything once more
    log = webserver.log_text()
    warnings = sorted(
        {line.split(" - ", 3)[-1] for line in log.splitlines() if " - WARNING - " in line}
    )
    assert warnings == []
