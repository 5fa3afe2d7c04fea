"""What the sensors share: the run key of a set of pending files, the skip while a run holds
the warehouse, and the "request a refresh when files are pending" sensor of a file domain."""

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
    it."""

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
        request = dg.RunRequest(
            run_key=run_key(pending, current),
            tags={**WAREHOUSE_WRITER_TAGS, f"{spec.name}/pending_files": str(len(pending))},
        )
        return dg.SensorResult(run_requests=[request], cursor=current)

    return sensor
