"""New player-event files start a run of the players assets (what ``players_refresh`` runs).

Unlike gaming, the players marts are dbt tables rebuilt by ``dbt build``, so the sensor does
no loading itself: it lists the landing location, compares it with the manifest
``players_raw.files`` (and the time-zone file's fingerprint with the one the last request saw)
and requests one run per distinct set of pending files (the run key), so a tick that sees the
same backlog again while the run is queued does not request it twice.
"""

import os

import dagster as dg

from loaders.common import open_warehouse
from loaders.players import pipeline as players
from loaders.players.landing import events_landing, read_timezones
from orchestration.defs.players.assets import GROUP
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS, pin_data_dir
from tributary import settings
from tributary.locking import WarehouseBusy, warehouse_lock


def _interval() -> int:
    return int(os.environ.get("PLAYERS_SENSOR_INTERVAL_SECONDS", "30"))


@dg.sensor(
    name="players_landing_sensor",
    # The players group: exactly the assets of the players_refresh job.
    asset_selection=dg.AssetSelection.groups(GROUP),
    minimum_interval_seconds=_interval(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a run of the players assets when new or rewritten event files land.",
)
def players_landing_sensor(
    context: dg.SensorEvaluationContext,
) -> dg.SensorResult | dg.SkipReason:
    pin_data_dir()
    try:
        with warehouse_lock(timeout=0):
            if settings.warehouse_path().exists():
                con = open_warehouse(read_only=True)
                try:
                    manifest = players.loaded_manifest(con)
                finally:
                    con.close()
            else:
                manifest = {}
    except WarehouseBusy:
        return dg.SkipReason("warehouse busy (a run is writing); retrying next tick")
    pending = players.pending_files(events_landing(), manifest)
    _, timezones_fingerprint = read_timezones()
    timezones_changed = bool(context.cursor) and context.cursor != timezones_fingerprint
    if not pending and not timezones_changed:
        return dg.SensorResult(
            skip_reason="no new player-event files", cursor=timezones_fingerprint
        )
    key = players.pending_key(pending, timezones_fingerprint)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=key,
                tags={**WAREHOUSE_WRITER_TAGS, "players/pending_files": str(len(pending))},
            )
        ],
        cursor=timezones_fingerprint,
    )
