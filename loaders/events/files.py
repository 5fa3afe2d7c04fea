"""The file input: JSON-lines files under ``EVENTS_URL`` landed incrementally, by file.

A file is loaded once its path and fingerprint (ETag, or size + mtime) appear in a commit
record under ``_batches/``; a rewritten file (new fingerprint) is read again, and its events
already in the lake count as duplicates. Pending files are grouped into batches of about
``EVENTS_BATCH_BYTES`` in name order, and each batch is read straight from its URLs by DuckDB
(``read_csv`` of whole lines: parallel, no Python per line). Lines that are not valid UTF-8
come back through DuckDB's rejects table and are quarantined with the text DuckDB could read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from loaders.events.commit import BatchResult, batch_rel, land_lines, prepare, publish
from loaders.events.lake import Lake, lake_lock
from loaders.events.settings import EventsSettings
from loaders.incremental_files import LandedFile, Landing
from tributary.duck import sql_list
from tributary.progress import Progress


def file_batch_id(files: list[LandedFile], hour: datetime | None = None) -> str:
    """Deterministic: the same files with the same content give the same batch id."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.path}\0{f.fingerprint}\n".encode())
    if hour is not None:
        digest.update(f"hour={hour:%Y-%m-%dT%H}".encode())
    return f"files-{digest.hexdigest()[:24]}"


def loaded_files(lake: Lake) -> dict[str, str]:
    """path → fingerprint of every input file a committed file batch read."""
    records = lake.read_many_json(
        [
            f"_batches/{name}"
            for name in lake.list_rel("_batches", ".json")
            if name.startswith("files-")
        ]
    )
    return {
        i["path"]: i["fingerprint"] for r in records if r.get("hour") is None for i in r["inputs"]
    }


def batches_of(files: list[LandedFile], max_bytes: int) -> list[list[LandedFile]]:
    batches: list[list[LandedFile]] = []
    current: list[LandedFile] = []
    size = 0
    for f in files:
        if current and size + f.size > max_bytes:
            batches.append(current)
            current, size = [], 0
        current.append(f)
        size += f.size
    if current:
        batches.append(current)
    return batches


def read_lines(con: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> None:
    """Create ``lines_in`` from the files: one row per line, invalid UTF-8 included."""
    non_empty = [f.path for f in files if f.size > 0]
    if not non_empty:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lines_in (source VARCHAR, position BIGINT, raw VARCHAR, utf8_ok BOOLEAN)"
        )
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE lines_in AS
        SELECT filename AS source, NULL::BIGINT AS position, raw, TRUE AS utf8_ok
        FROM read_csv(
            {sql_list(non_empty)}, columns = {{'raw': 'VARCHAR'}}, delim = '\x01', quote = '',
            escape = '', header = false, auto_detect = false, strict_mode = false,
            filename = true, max_line_size = 16777216, store_rejects = true,
            rejects_table = 'lines_rejects', rejects_scan = 'lines_scans'
        )
        """
    )
    con.execute(
        """
        INSERT INTO lines_in
        SELECT s.file_path, e.line::BIGINT, e.csv_line, FALSE
        FROM lines_rejects AS e JOIN lines_scans AS s USING (scan_id, file_id)
        """
    )
    con.execute("DROP TABLE IF EXISTS lines_rejects")
    con.execute("DROP TABLE IF EXISTS lines_scans")


@dataclass
class FileLoad:
    """One run over the landing location."""

    listed: int = 0
    pending: int = 0
    batches: list[BatchResult] = field(default_factory=list)

    @property
    def batch_ids(self) -> list[str]:
        return [b.batch_id for b in self.batches]


def pending_files(landing: Landing, lake: Lake) -> tuple[list[LandedFile], int]:
    listed = landing.list()
    done = loaded_files(lake)
    return [f for f in listed if done.get(f.path) != f.fingerprint], len(listed)


def iter_batches(
    files: list[LandedFile], max_bytes: int | None = None
) -> Iterator[list[LandedFile]]:
    yield from batches_of(files, max_bytes or EventsSettings().batch_bytes)


def land_files(
    url: str | None = None,
    lake_url: str | None = None,
    max_bytes: int | None = None,
    max_files: int | None = None,
    progress: bool | None = None,
) -> FileLoad:
    """Land every pending file (holding the lake lock), then compact what the run touched.
    Files done, lines read and lines/s show on a terminal (``progress``; ``None``: when
    stderr is a TTY)."""
    from loaders.events.compaction import compact

    lake = Lake(lake_url)
    landing = Landing(url or EventsSettings().url)
    load = FileLoad()
    with lake_lock():
        pending, load.listed = pending_files(landing, lake)
        if max_files is not None:
            pending = pending[:max_files]
        load.pending = len(pending)
        con = lake.connect()
        shown = Progress("events: landing", len(pending), enabled=progress)
        try:
            # Pipelined: batch n+1 is read and validated while a writer thread publishes
            # batch n; it waits for that publication before looking at the lake.
            with ThreadPoolExecutor(1, thread_name_prefix="events-publish") as writer:
                in_flight: list[Future[BatchResult]] = []

                def done(result: BatchResult) -> None:
                    load.batches.append(result)
                    shown.advance(len(result.inputs), result.read)

                def wait_for_writer() -> None:
                    while in_flight:
                        done(in_flight.pop(0).result())

                for files in iter_batches(pending, max_bytes):
                    batch_id = file_batch_id(files)
                    if lake.exists(batch_rel(batch_id)):  # committed by a run that died after
                        wait_for_writer()
                        done(BatchResult(**_result_fields(lake.read_json(batch_rel(batch_id)))))
                        continue
                    read_lines(con, files)
                    inputs = [
                        {"path": f.path, "fingerprint": f.fingerprint, "size": f.size}
                        for f in files
                    ]
                    prepared = prepare(
                        con, lake, batch_id, "files", inputs, before_lake=wait_for_writer
                    )
                    in_flight.append(writer.submit(publish, lake, prepared))
                wait_for_writer()
            shown.close()
            touched = {tuple(p) for b in load.batches for p in b.partitions}
            compact(lake, con, sorted(touched))
        finally:
            shown.close()
            con.close()
    return load


def land_hour(
    hour: datetime,
    url: str | None = None,
    lake_url: str | None = None,
    max_bytes: int | None = None,
    progress: bool | None = None,
) -> list[BatchResult]:
    """Backfill one UTC hour: re-read every input file (in bounded batches) and land what is
    missing of that hour. Invalid lines stay with the file batches that quarantined them.
    Progress as in :func:`land_files`."""
    from loaders.events.compaction import compact

    lake = Lake(lake_url)
    landing = Landing(url or EventsSettings().url)
    results: list[BatchResult] = []
    with lake_lock():
        con = lake.connect()
        try:
            listed = landing.list()
            run = datetime.now().strftime("%Y%m%dT%H%M%S%f")
            with Progress(
                f"events: hour {hour:%Y-%m-%dT%H}", len(listed), enabled=progress
            ) as shown:
                for n, files in enumerate(iter_batches(listed, max_bytes)):
                    read_lines(con, files)
                    batch_id = f"hour-{hour:%Y%m%dT%H}-{run}-{n}"
                    inputs = [
                        {"path": f.path, "fingerprint": f.fingerprint, "size": f.size}
                        for f in files
                    ]
                    results.append(
                        land_lines(
                            con, lake, batch_id, "backfill", inputs, hour=hour, quarantine=False
                        )
                    )
                    shown.advance(len(files), results[-1].read)
            compact(lake, con, sorted({tuple(p) for b in results for p in b.partitions}))
        finally:
            con.close()
    return results


def _result_fields(record: dict) -> dict:
    names = set(BatchResult.__dataclass_fields__)
    return {k: v for k, v in record.items() if k in names}
