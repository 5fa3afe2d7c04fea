"""Group commit: many requests' points in one durable transaction.

Each API worker process has one ``GroupCommitter`` with one store connection. A request
appends its point and awaits a future; the writer loop takes everything pending (up to
``LOCATION_MAX_BATCH``), writes it in one transaction, commits, and only then resolves the
futures, so a 200 always follows a commit. While one transaction runs, the next batch fills
up: under heavy load batches grow until the commit rate keeps up. A transaction starts at most
every ``LOCATION_BATCH_INTERVAL_MS`` (5 ms) unless a full batch is waiting: at 5,000 points/s
commits took ~1 ms and batches stayed at a few points, each paying the fixed cost of a
transaction (~350 µs of PostgreSQL CPU); with the interval the CPU per point fell 15-40 %
for ~2 ms more median latency. The first request after a quiet spell commits at once.

On PostgreSQL the loop drives an async connection on the event loop itself (one statement a
batch, no thread hand-off); the embedded SQLite store blocks (fsync), so there a single
writer thread runs the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import Histogram

from tributary.location.points import Point
from tributary.location.settings import LocationSettings
from tributary.location.store import AsyncPostgresWriter, Store, is_data_error, open_store

log = logging.getLogger("tributary.location")
BATCH_SIZE = Histogram(
    "tributary_location_commit_batch_points",
    "Points per group-commit transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
)

CLEANUP_EVERY_SECONDS = 60.0


class Rejected(Exception):
    """The store refused this point on its own (a data error in a batch of one)."""


def _fail(batch: list[tuple[Point, asyncio.Future[bool]]], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


class _ThreadWriter:
    """A blocking ``Store`` behind one thread (the embedded store)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="location-writer")
        self._store: Store | None = None

    def _store_now(self) -> Store:
        if self._store is None:
            self._store = open_store()
        return self._store

    async def write_batch(self, points: list[Point]) -> list[bool]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self._store_now().write_batch(points)
        )

    async def cleanup(self) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self._store_now().cleanup())

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, store.close)


async def _open_writer() -> AsyncPostgresWriter | _ThreadWriter:
    url = LocationSettings().db_url
    if not url:
        return _ThreadWriter()
    # Migrations (and their lock) run once per process through the blocking store.
    await asyncio.get_running_loop().run_in_executor(None, lambda: open_store(url).close())
    return await AsyncPostgresWriter.connect(url)


class GroupCommitter:
    def __init__(self, max_batch: int, min_interval: float = 0.0) -> None:
        self.max_batch = max_batch
        self.min_interval = min_interval
        self._pending: list[tuple[Point, asyncio.Future[bool]]] = []
        self._wakeup = asyncio.Event()
        self._writer: AsyncPostgresWriter | _ThreadWriter | None = None
        self._task: asyncio.Task | None = None
        self._last_cleanup = time.monotonic()
        self.batches = 0

    async def submit(self, point: Point) -> bool:
        """Wait until ``point`` is committed; True if it was new, False if a duplicate."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((point, future))
        self._wakeup.set()
        return await future

    async def _write(self, points: list[Point]) -> list[bool]:
        BATCH_SIZE.observe(len(points))
        results = await self._writer.write_batch(points)
        if time.monotonic() - self._last_cleanup > CLEANUP_EVERY_SECONDS:
            self._last_cleanup = time.monotonic()
            try:
                await self._writer.cleanup()
            except Exception:
                log.exception("location raw-key cleanup failed (retried later)")
        return results

    async def _run(self) -> None:
        started = 0.0
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                wait = started + self.min_interval - time.monotonic()
                if wait > 0 and len(self._pending) < self.max_batch:
                    await asyncio.sleep(wait)
                started = time.monotonic()
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[Point, asyncio.Future[bool]]]) -> None:
        """Write ``batch`` and answer its requests. A failed transaction is retried split in
        halves, so a point that cannot be stored fails alone and the others commit (each bad
        point costs about 2·log2(batch) extra transactions); the point the store refuses on
        its own gets ``Rejected``. If the store cannot even be opened, the batch fails whole."""
        try:
            if self._writer is None:
                self._writer = await _open_writer()
        except Exception as exc:
            log.exception("opening the location store failed")
            _fail(batch, exc)
            return
        try:
            results = await self._write([p for p, _ in batch])
        except Exception as exc:
            refused = is_data_error(exc)
            if not refused:
                await self._drop_connection()
            if len(batch) > 1:
                log.warning("location batch of %d failed (%s): split", len(batch), _first_line(exc))
                await self._commit(batch[: len(batch) // 2])
                await self._commit(batch[len(batch) // 2 :])
            elif refused:
                log.warning("location point refused by the store: %s", _first_line(exc))
                _fail(batch, Rejected(_first_line(exc)))
            else:
                log.error("location point failed alone", exc_info=exc)
                _fail(batch, exc)
            return
        self.batches += 1
        for (_, future), accepted in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(accepted)

    async def _drop_connection(self) -> None:
        """After a failed transaction, reconnect on the next batch."""
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                await writer.close()
            except Exception:
                log.exception("closing the location store connection failed")


def _first_line(exc: Exception) -> str:
    """The error without PostgreSQL's context (the whole batch function's text)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]
