"""The events lake: layout, listing, DuckDB access, the lock (storage: :mod:`loaders.lake_storage`).

Layout under ``EVENTS_LAKE_URL`` (a folder or ``s3://bucket/prefix``)::

    events/event_type=<type>/date=YYYY-MM-DD/hour=HH/part-<batch>-<n>.parquet   landed events
    quarantine/<batch>.parquet                                                  invalid lines
    _batches/<batch>.json        commit record of a batch (counts, input files, partitions)
    _compaction/<id>.json        journal of a compaction in flight (see compaction.py)
    _staging/<batch>/            local scratch of a batch being written (local lakes only)

A Parquet file becomes visible in one step (:mod:`loaders.lake_storage`, shared with the
players lake). Readers glob ``events/*/*/*/*.parquet`` and so never see scratch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.events.settings import EventsSettings
from loaders.lake_storage import LakeFile, LakeStorage, configure_s3
from tributary import duck, settings
from tributary.locking import warehouse_lock

PARTITION_COLUMNS = ("event_type", "date", "hour")
HIVE_TYPES = "{'event_type': VARCHAR, 'date': DATE, 'hour': INTEGER}"


@dataclass(frozen=True, order=True)
class Partition:
    event_type: str
    date: str  # YYYY-MM-DD
    hour: str  # HH

    @property
    def rel(self) -> str:
        return f"events/event_type={self.event_type}/date={self.date}/hour={self.hour}"


def connect(url: str | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB able to read and write ``url`` (S3 set up when needed)."""
    con = duck.connect()
    spill = settings.data_dir() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute(f"SET memory_limit = '{memory_limit or EventsSettings().duckdb_memory}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if url is None or url.startswith(("s3://", "s3a://")):
        configure_s3(con)
    return con


class Lake(LakeStorage):
    """The events lake (``EVENTS_LAKE_URL`` by default)."""

    scratch_prefix = "events"

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or EventsSettings().lake_url)

    @property
    def events_glob(self) -> str:
        return self.uri("events/*/*/*/*.parquet")

    def connect(self, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        return connect(self.url if self.is_s3 else "local", memory_limit)

    # ------------------------------------------------------------------------ listing
    def partition_files(
        self, partitions: list[Partition] | None = None
    ) -> dict[Partition, list[LakeFile]]:
        """Parquet files per partition: of ``partitions`` (None: every partition of the lake).

        Local lakes list each partition folder; S3 lists the ``events/`` prefix once.
        """
        found: dict[Partition, list[LakeFile]] = {}
        if partitions is not None and not self.is_s3:
            for p in partitions:
                folder = Path(self._path(p.rel))
                try:
                    entries = list(os.scandir(folder))
                except FileNotFoundError:
                    continue
                files = [
                    LakeFile(e.path, e.stat().st_size)
                    for e in entries
                    if e.name.endswith(".parquet") and not e.name.startswith((".", "_"))
                ]
                if files:
                    found[p] = sorted(files, key=lambda f: f.uri)
            return found
        wanted = set(partitions) if partitions is not None else None
        try:
            listing = self.fs.find(self._path("events"), detail=True)
        except FileNotFoundError:
            return {}
        for path, info in listing.items():
            parts = path.rsplit("/", 4)
            if (
                len(parts) < 5
                or not parts[4].endswith(".parquet")
                or parts[4].startswith((".", "_"))
            ):
                continue
            try:
                p = Partition(
                    parts[1].split("=", 1)[1], parts[2].split("=", 1)[1], parts[3].split("=", 1)[1]
                )
            except IndexError:
                continue
            if wanted is not None and p not in wanted:
                continue
            found.setdefault(p, []).append(LakeFile(self._uri_of(path), int(info.get("size") or 0)))
        for files in found.values():
            files.sort(key=lambda f: f.uri)
        return found


@contextmanager
def lake_lock(timeout: float | None = 600.0) -> Iterator[None]:
    """One lake writer at a time on this machine (file lock in the data dir)."""
    with warehouse_lock(timeout=timeout, path=settings.data_dir() / "locks" / "events-lake.lock"):
        yield
