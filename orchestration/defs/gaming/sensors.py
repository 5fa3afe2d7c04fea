"""The fallback near-real-time path: the landing sensor, for when the follow service is not
running.

The real-time path is the follow service (``python -m loaders.gaming --follow``, started by
``make serve``; see :mod:`loaders.gaming.follow`): it notices files within 0.1 s, serves them
from the real-time store without the warehouse lock and reports its loads to Dagster as runless
asset events. The sensor earns its place as the fallback for a Dagster started alone (``dg dev``,
the container roles without the service): while a service holds the data dir, each tick skips
("follow service running"); otherwise it does the same work inside the long-lived code server
(a Dagster run would first spend ≈7 s importing the code location): take the warehouse lock
(or skip the tick if a run holds it), load up to ``GAMING_SENSOR_MAX_FILES`` new or rewritten
files with the domain's writer, reconcile, bring the real-time store up to date and report
the same materialisations and check evaluation. Ticks come every 5 s at best (Dagster 1.13's
sensor daemon), and another domain's run holding the warehouse delays them: that is why the
service exists.
"""

import dagster as dg

from loaders.file_domain import load_once
from loaders.gaming import report
from loaders.gaming.follow import service_running
from loaders.gaming.pipeline import DOMAIN
from loaders.gaming.realtime import store_path
from loaders.gaming.settings import GamingSettings
from orchestration.defs.gaming.assets import SERVING, gaming_raw
from orchestration.lib.sensors import skip_when_busy

LOCK_WAIT_SECONDS = 2.0
SERVICE_RUNNING = "follow service running (it loads and reports the files)"


@dg.sensor(
    name="gaming_landing_sensor",
    minimum_interval_seconds=GamingSettings().sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    asset_selection=[gaming_raw],
    description="Fallback when the gaming follow service is not running: loads new game-event "
    "files within seconds of landing (see module docstring).",
)
# Wait a moment for short holders (another sensor reading its manifest); skip the tick when a
# run holds the warehouse for longer.
@skip_when_busy()
def gaming_landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    if service_running():
        return dg.SkipReason(SERVICE_RUNNING)
    done = load_once(
        DOMAIN,
        max_files=GamingSettings().sensor_max_files,
        lock_timeout=LOCK_WAIT_SECONDS,
        only_if_pending=True,
    )
    if done.plan.empty:
        return dg.SkipReason(f"no new files among {done.plan.listed} listed")
    load = done.report
    context.log.info("loaded %s", load)
    events = report.warehouse_events(load, done.reconciliation)
    if done.published:
        events.append(
            dg.AssetMaterialization(
                asset_key=SERVING,
                metadata={"path": str(store_path()), "batch_ids": ", ".join(load.batch_ids)},
            )
        )
    return dg.SensorResult(asset_events=events, cursor=load.batch_ids[-1])
