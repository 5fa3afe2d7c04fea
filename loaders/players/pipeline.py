"""The players domain's contract (:data:`DOMAIN`): one incremental load of player events.

``plan_load`` (under the warehouse lock) compares the landing listing with
``players_raw.files``; only new or rewritten files are read, in bounded batches streamed
through dlt (:mod:`loaders.batched_load`), with the time-zone file (small, replaced every
load). The valid lines, the load quarantine, each batch's load record and the time zones land in
the players lake (:mod:`loaders.players.lake`), which dbt reads on either engine; the loader's
manifest (``files``, ``file_loads``) also goes to ``players_raw`` of the warehouse. The marts
are dbt tables, so ``publish_serving`` is called after ``dbt build`` (the ``serving/players``
asset).
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

from loaders import batched_load, incremental_files
from loaders.batched_load import LoadPlan
from loaders.common import warehouse_pipeline
from loaders.file_domain import FileDomain
from loaders.incremental_files import Reconciliation
from loaders.players.lake import PlayersLake
from loaders.players.landing import Landing, events_landing, read_timezones
from loaders.players.parsing import parse_timezones, validate
from loaders.players.settings import PlayersSettings
from loaders.players.source import players_events_source
from tributary import serving
from tributary.marts import marts_connection
from tributary.warehouse import connect as connect_warehouse

PIPELINE_NAME = "players_events"
DATASET = "players_raw"

# What the API serves: the dbt marts ``players_user_days`` (GET /api/user-stats, one indexed
# point lookup per request) and ``players_game_stats``, every column cast to its contract type
# so the snapshot is the same whichever engine built the marts (:mod:`tributary.marts`).
USER_DAYS_SELECT = (
    "SELECT user_id::VARCHAR AS user_id, country::VARCHAR AS country, "
    "registration_date_local_timezone::VARCHAR AS registration_date_local_timezone, "
    '"date"::DATE AS "date", session_count::BIGINT AS session_count, '
    "time_spent_in_game::BIGINT AS time_spent_in_game, match_seconds::BIGINT AS match_seconds, "
    "points_home::BIGINT AS points_home, points_away::BIGINT AS points_away "
    "FROM players.user_days"
)
GAME_STATS_SELECT = (
    "SELECT stats_date::DATE AS stats_date, active_users::BIGINT AS active_users, "
    "number_of_sessions::HUGEINT AS number_of_sessions, "
    "average_sessions_per_active_user::DOUBLE AS average_sessions_per_active_user, "
    "top_points::HUGEINT AS top_points, top_users::VARCHAR[] AS top_users "
    "FROM players.game_stats"
)
SERVED_TABLES = [
    serving.ServedTable("players", "user_days", USER_DAYS_SELECT, 'user_id, "date"', "user_id"),
    serving.ServedTable("players", "game_stats", GAME_STATS_SELECT, "stats_date"),
]


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def loaded_manifest(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """source_file → fingerprint of the content currently loaded."""
    return incremental_files.loaded_manifest(DATASET, con)


def plan_load(landing: Landing | None = None, max_files: int | None = None) -> LoadPlan:
    """List and diff against the manifest, read the (small) time-zone file; event files are
    read batch by batch when the plan's source is extracted. Caller holds the lock.

    First the lake files of batches whose load never committed (a crash) are deleted; the
    time-zone file is read and replaced in the lake."""
    lake = PlayersLake()
    drop_uncommitted(lake)
    lake.write_timezones(parse_timezones(read_timezones()[0]))
    return batched_load.plan_load(
        landing or events_landing(),
        DATASET,
        parse=batched_load.validating_parser(validate),
        make_source=functools.partial(players_events_source, lake=lake),
        max_files=max_files,
        files_per_batch=PlayersSettings().files_per_batch,
    )


def drop_uncommitted(lake: PlayersLake | None = None) -> int:
    """Delete the lake files of journaled batches the warehouse manifest does not name (a load
    that crashed before dlt loaded its manifest: its files are pending again and will be read
    as a new batch), unless dlt holds a pending package (its next run may still load them).
    Caller holds the lock.

    Every batch the warehouse manifest names has its load record in the lake (written before
    dlt loads the manifest); one without is from a data dir older than the lake's load
    records, which the lake cannot serve: that raises, asking for a reset."""
    lake = lake or PlayersLake()
    with connect_warehouse(lock=False) as con:
        loaded = incremental_files.committed_batches(con, DATASET)
    if missing := sorted(loaded - lake.committed_batches()):
        raise RuntimeError(
            f"the players lake {lake.url} has no load record for {len(missing)} loaded batches "
            f"(e.g. {missing[0]}): a data dir from before the lake held them, or another lake. "
            "Reset the players domain (drop schema players_raw, delete dlt/players_events and "
            "the lake) and load again."
        )
    journaled = lake.journaled_batches()
    if not journaled or pipeline().has_pending_data:
        return 0
    return lake.drop_batches([b for b in journaled if b not in loaded])


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Publish the players marts (of the engine that built them, read through
    :func:`tributary.marts.marts_connection`) as a new serving snapshot. Caller holds the lock.

    When the current snapshot holds the dbt build the last build started from (or the last
    build itself), only the rows of the users that build touched are rewritten in a copy of
    it (:func:`tributary.serving.publish_delta`); otherwise (first publish, after a full
    build, a snapshot from elsewhere) every table is copied.
    """
    with marts_connection(warehouse) as marts:
        builds = _builds(marts)
        if not builds:  # not built yet, or built before builds were recorded
            return serving.publish_if_built("players", SERVED_TABLES, marts)
        info = {"players_build": builds["build"]}
        base = serving.current_version("players")
        base_build = serving.snapshot_info(base).get("players_build") if base else None
        if base is not None and base_build in (builds["build"], builds.get("previous_build")):
            return serving.publish_delta(
                "players", SERVED_TABLES, marts, base, {"user_days": TOUCHED_USERS}, info
            )
        return serving.publish("players", SERVED_TABLES, marts, info)


TOUCHED_USERS = "SELECT user_id FROM intermediate.int_players__touched_users"


def _builds(warehouse: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """This build's dbt invocation id and the complete build it started from (if any)."""
    try:
        rows = warehouse.execute(
            "SELECT kind, value FROM intermediate.int_players__applied_state "
            "WHERE kind IN ('build', 'previous_build')"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {kind: value for kind, value in rows if value is not None}


def reconcile(con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None) -> Reconciliation:
    """For each load (batch, file; all, or those of ``batch_ids``): lines read = valid +
    quarantined, and exactly that many rows are in the lake's events and quarantine files."""
    lake = PlayersLake()
    landed = (
        lake.landed_rows(con, batch_ids),
        lake.relation(con, "quarantine", "batch_id VARCHAR, source_file VARCHAR", batch_ids),
    )
    return incremental_files.reconcile(con, DATASET, batch_ids, landed=landed)


DOMAIN = FileDomain(
    name="players",
    dataset=DATASET,
    pipeline=pipeline,
    source=players_events_source,
    landing=events_landing,
    plan=plan_load,
    reconcile=reconcile,
    publish=publish_serving,
    served_marts=("players/user_days", "players/game_stats"),
    check_description="Every line read is an event or quarantined at load, and exactly those "
    "rows landed.",
    description="Read every new or rewritten file in ``PLAYERS_EVENTS_URL`` (and the time-zone "
    "file) and load it with dlt.",
)
