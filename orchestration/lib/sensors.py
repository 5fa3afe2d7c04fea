"""What the sensors share: the run key of a set of pending files, the skip while a run holds
the warehouse, the skip while a run of the same sensor (or schedule) is still queued, and the "request a
refresh when files are pending" sensor of a file domain.

A queued run has not listed its input yet: when it starts it loads everything pending then,
so a second request while it waits would only add a run that finds nothing left to do. With
one warehouse writer at a time those redundant runs queued faster than they were worked off
(the soak: 18 runs still queued after 10 minutes of files landing every 5 s). A sensor
therefore requests at most one run at a time beyond the one running."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable

import dagster as dg

from loaders.file_domain import FileDomain
from loaders.incremental_files import LandedFile, loaded_manifest, pending_files
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS
from tributary import settings, warehouse
from tributary.locking import WarehouseBusy

BUSY = "warehouse busy (a run is writing); retrying next tick"
# Dagster tags every run a sensor or schedule requested with its name.
SENSOR_NAME_TAG = "dagster/sensor_name"
SCHEDULE_NAME_TAG = "dagster/schedule_name"
# Created or waiting in the run queue: the run has not started reading its input.
WAITING = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED]


def run_key(files: Iterable[LandedFile], *state: str, prefix: str = "") -> str:
    """A stable key for a set of pending files (and any other state the run depends on), so
    a tick that sees the same backlog again while its run is queued does not request it
    twice."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.fingerprint}\n".encode())
    for part in state:
        digest.update(f"{part}\n".encode())
    return prefix + digest.hexdigest()[:32]


def skip_when_busy(reason: str = BUSY) -> Callable:
    """A sensor body that skips the tick (``reason``) when the warehouse lock is not free."""

    def decorate(tick: Callable) -> Callable:
        @functools.wraps(tick)
        def wrapper(context: dg.SensorEvaluationContext):
            try:
                return tick(context)
            except WarehouseBusy:
                return dg.SkipReason(reason)

        return wrapper

    return decorate


def queued_run_id(instance: dg.DagsterInstance, tags: dict[str, str]) -> str | None:
    """The id of a run carrying ``tags`` (e.g. the requesting sensor's or schedule's name) that
    has not started yet, if any."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=WAITING, tags=tags), limit=1)
    return runs[0].run_id if runs else None


def no_run_queued(schedule_name: str) -> Callable[[dg.ScheduleEvaluationContext], bool]:
    """A schedule's ``should_execute``: skip the tick while its previous run still waits."""

    def should_execute(context: dg.ScheduleEvaluationContext) -> bool:
        return queued_run_id(context.instance, {SCHEDULE_NAME_TAG: schedule_name}) is None

    return should_execute


def queued_skip(instance: dg.DagsterInstance, sensor_name: str) -> str | None:
    """A skip reason when a run of the sensor still waits in the queue (it will load what is
    pending now when it starts), else None."""
    run_id = queued_run_id(instance, {SENSOR_NAME_TAG: sensor_name})
    return (
        f"run {run_id} is still queued; it loads what is pending when it starts" if run_id else None
    )


def pending_files_sensor(
    spec: FileDomain,
    name: str,
    interval_seconds: int,
    description: str,
    state: Callable[[], str] | None = None,
) -> dg.SensorDefinition:
    """A run of the domain's group when files are pending in its landing or ``state()`` (e.g.
    another input's fingerprint; kept as the cursor) differs from the last tick's. Loads
    nothing itself; the manifest is read under the lock and the tick skips while a run holds
    it. No second run is requested while one it requested is still queued (see above); the
    cursor moves on all the same, since that run reads ``state()`` when it starts."""

    @dg.sensor(
        name=name,
        asset_selection=dg.AssetSelection.groups(spec.name),
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=description,
    )
    @skip_when_busy()
    def sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        manifest: dict[str, str] = {}
        with warehouse.locked(timeout=0):
            if settings.warehouse_path().exists():
                with warehouse.connect(read_only=True, lock=False) as con:
                    manifest = loaded_manifest(spec.dataset, con)
        pending = pending_files(spec.landing(None).list(), manifest)
        current = state() if state else ""
        if not pending and current == (context.cursor or ""):
            return dg.SensorResult(skip_reason=f"no new {spec.name} input", cursor=current)
        if waiting := queued_skip(context.instance, name):
            return dg.SensorResult(skip_reason=waiting, cursor=current)
        request = dg.RunRequest(
            run_key=run_key(pending, current),
            tags={**WAREHOUSE_WRITER_TAGS, f"{spec.name}/pending_files": str(len(pending))},
        )
        return dg.SensorResult(run_requests=[request], cursor=current)

    return sensor
