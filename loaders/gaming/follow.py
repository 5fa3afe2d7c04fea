"""The gaming ingest service: ``python -m loaders.gaming --follow`` (started by ``make serve``).

It keeps running and makes every landed file visible through the API within a fraction of a
second, whatever the table size and whatever other domains are doing:

1. **Notice.** A watcher (:mod:`loaders.gaming.watch`) is polled every
   ``GAMING_FOLLOW_POLL_SECONDS``; with ``GAMING_NATS_URL`` set, S3 event notifications on
   ``GAMING_NATS_SUBJECT`` wake the loop at once (:mod:`loaders.gaming.notifications`).
2. **Serve.** New or rewritten files are read, validated and applied to the real-time store
   (:mod:`loaders.gaming.realtime`): one SQLite transaction per batch holding only what
   changed, under the store's own lock, never the warehouse's.
3. **Warehouse.** A child process loads the same files into ``gaming_raw`` with the domain's
   writer and reconciliation (:func:`loaders.file_domain.load_once`), at most every
   ``GAMING_WAREHOUSE_SYNC_SECONDS``, waiting for the warehouse lock as long as another
   domain's run holds it. The dbt marts and lineage follow from there; real time never waits.
4. **Report.** Each load is written to Dagster as runless asset events (the same
   materialisations and check evaluation the landing sensor reports; :mod:`loaders.gaming.report`).

Both sinks keep their own manifest in the same transaction as their rows, so a ``kill -9`` at
any moment loses and doubles nothing: on restart each simply finds the files it has not got.
One service per data dir (a lock file); while it runs, ``gaming_landing_sensor`` stands aside.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from loaders.file_domain import load_once
from loaders.gaming import realtime, report
from loaders.gaming.landing import Landing
from loaders.gaming.pipeline import DOMAIN
from loaders.gaming.settings import GamingSettings
from loaders.gaming.watch import watcher_for
from tributary import locking, warehouse

log = logging.getLogger("loaders.gaming.follow")
WAREHOUSE_LOCK_WAIT_SECONDS = 5.0
LOG_FORMAT = "%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s"


def service_lock_path():
    return realtime.store_path().with_name("follow.lock")


@contextmanager
def service_lock() -> Iterator[None]:
    """Held for the service's lifetime; raises ``WarehouseBusy`` if another one runs."""
    with locking.warehouse_lock(timeout=0, path=service_lock_path()):
        yield


def service_running() -> bool:
    """True while a follow service holds this data dir (the sensor then stands aside)."""
    try:
        with locking.warehouse_lock(timeout=0, path=service_lock_path()):
            return False
    except locking.WarehouseBusy:
        return True


class WarehouseSync:
    """The warehouse side in a child process (its own interpreter, so the warehouse load
    never takes the real-time loop's GIL): loads pending files into ``gaming_raw``
    (:mod:`loaders.gaming.warehouse_load`, reconciliation) and writes every report to Dagster. It exits when the service
    stops, or on its own when the service died (kill -9)."""

    def __init__(self, url: str | None, every: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.wake = ctx.Event()
        self.halt = ctx.Event()
        self.reports = ctx.Queue()
        self.process = ctx.Process(
            target=_warehouse_worker,
            args=(url, every, self.wake, self.halt, self.reports, os.getpid()),
            name="gaming-warehouse-sync",
            daemon=True,
        )

    def start(self) -> None:
        self.process.start()

    def served(self, done: realtime.StoreLoad) -> None:
        """A store load happened: report it, and load the warehouse soon."""
        self.reports.put(vars(done))
        self.wake.set()

    def stop(self, timeout: float = 120.0) -> None:
        self.halt.set()
        self.wake.set()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
        # Reports the child did not take are lost (Dagster history only); never hang on exit
        # flushing them into a pipe nobody reads.
        self.reports.cancel_join_thread()


def _warehouse_worker(url, every, wake, halt, reports, parent: int) -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service stops us through ``halt``
    reporter = report.DagsterReporter()
    reporter.start()

    def forward_store_reports() -> None:
        while True:
            try:
                done = reports.get_nowait()
            except queue.Empty:
                return
            reporter.send([report.store_event(realtime.StoreLoad(**done))])

    try:
        while not halt.is_set() and os.getppid() == parent:
            forward_store_reports()
            if not wake.wait(1.0):
                continue
            wake.clear()
            try:
                done = load_once(
                    DOMAIN,
                    url=url,
                    max_files=GamingSettings().sensor_max_files,
                    lock_timeout=WAREHOUSE_LOCK_WAIT_SECONDS,
                    only_if_pending=True,
                    publish=False,
                    progress=False,
                )
            except locking.WarehouseBusy:
                log.info("warehouse busy (another run writes); retrying")
                wake.set()
                continue
            except Exception:
                log.exception("warehouse load failed; retrying")
                wake.set()
                halt.wait(every)
                continue
            if not done.plan.empty:
                log.info("warehouse: %s", json.dumps(vars(done.report)))
                reporter.send(report.warehouse_events(done.report, done.reconciliation))
                wake.set()  # maybe more than one load's worth was pending
            halt.wait(every)  # batch the next files: the warehouse is not the real-time path
        forward_store_reports()
    finally:
        reporter.close()


def follow(
    url: str | None = None, stop: threading.Event | None = None, warehouse_sync: bool = True
) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM when run as a program)."""
    settings = GamingSettings()
    stop = stop or threading.Event()
    landing = Landing(url)
    watcher = watcher_for(landing)
    warehouse.pin_data_dir()
    with service_lock():
        sync = WarehouseSync(url, settings.warehouse_sync_seconds)
        if warehouse_sync:
            sync.start()
        writer = realtime.StoreWriter()
        # Whatever landed while no service ran (and the store exists, published, from here on).
        done = writer.load(landing)
        if not done.empty:
            sync.served(done)
        notices = None
        if settings.nats_url:
            from loaders.gaming.notifications import NatsNotices

            notices = NatsNotices(settings.nats_url, settings.nats_subject, landing)
            notices.start()
        log.info("following %s (poll %.2f s)", landing.url, settings.follow_poll_seconds)
        last_full = 0.0
        try:
            while not stop.is_set():
                full = time.monotonic() - last_full >= settings.follow_rescan_seconds
                candidates = watcher.changes(full=full)
                if notices is not None:
                    candidates += notices.drain()
                if full:
                    last_full = time.monotonic()
                if candidates:
                    try:
                        done = writer.load(landing, candidates)
                    except Exception:  # e.g. a file deleted between listing and reading
                        log.exception("real-time load failed; the next full listing retries")
                        stop.wait(settings.follow_poll_seconds)
                        continue
                    if not done.empty:
                        log.info("served: %s", json.dumps(vars(done)))
                        sync.served(done)
                if notices is not None:
                    notices.wait(stop, settings.follow_poll_seconds)
                else:
                    stop.wait(settings.follow_poll_seconds)
        finally:
            if notices is not None:
                notices.stop()
            writer.close()
            if warehouse_sync:
                sync.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow", action="store_true", help="run the ingest service")
    parser.add_argument("--url", help="landing URL (default: GAMING_EVENTS_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        follow(args.url, stop)
    except locking.WarehouseBusy:
        print("another gaming follow service is running on this data dir", file=sys.stderr)
        return 1
    return 0
