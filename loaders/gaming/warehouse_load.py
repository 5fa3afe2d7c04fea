"""A gaming load: the lines land in the gaming lake, the manifest in the warehouse, per batch.

The four ``gaming_raw`` relations keep the shape and meaning dlt gave them (see
:mod:`loaders.gaming.source`, still the declared schema and the Dagster asset specs), but the
rows no longer travel through dlt, nor into a warehouse table: storing them in DuckDB's own
format cost more than classifying them (``bench.gaming_throughput``). Each batch of files
(``GAMING_FILES_PER_BATCH``, 64 MB at most) is

1. prepared in one of two worker threads while earlier batches commit: read, split into
   numbered lines (:func:`loaders.incremental_files.lines_table`), its lines of the usual
   shape taken apart by the compiled scanner (:mod:`loaders.gaming.shape`); journaled in the
   lake; the other lines classified by the domain's query
   (:func:`loaders.gaming.parsing.classify`); every line, valid or not, with its values or
   its reason, written as one Parquet file by Arrow's writer (:mod:`loaders.gaming.lake`),
   whose per-file counts and rejected lines (raw text, reason) are read back from it;
2. in the loading thread, in listing order, inside one warehouse transaction: those rejected
   lines inserted into ``quarantine``, the batch's manifest rows (lines read, valid,
   quarantined per file, counted from the file) replacing the files' rows in ``files`` and
   appended to ``file_loads``; the file is published into the lake;
3. committed, then its journal deleted. The manifest is the commit record: dbt reads only the
   batch the manifest names for each file, so a crash at any point leaves either the whole
   batch or nothing of it visible, a file whose batch did not commit is simply pending again,
   and the next load deletes what the dead batch published. Nothing is lost or doubled.

``gaming_raw.events`` is a view of the lake's valid lines (recreated by each load). The caller
holds the warehouse lock (:func:`loaders.file_domain.load_once`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loaders.batched_load import LoadPlan, ParsedBatch, group_files
from loaders.gaming.lake import COMPACTED_TABLE, GamingLake, batch_rel
from loaders.gaming.parsing import (
    EVENTS_SCHEMA,
    QUARANTINE_SCHEMA,
    classify,
    with_shape,
)
from loaders.incremental_files import (
    FILES_SCHEMA,
    LandedFile,
    Landing,
    lines_table,
    manifest_rows,
    new_batch_id,
    with_batch,
)
from loaders.lake_storage import configure_s3, journal_rel
from tributary import warehouse
from tributary.duck import sql_string
from tributary.serving import fsync_path

DATASET = "gaming_raw"
# The manifest's columns: `files` (each file's current load) and `file_loads` (every load).
_MANIFEST_COLUMNS = """
    source_file VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, size_bytes BIGINT NOT NULL,
    batch_id VARCHAR NOT NULL, lines_read BIGINT NOT NULL, valid_rows BIGINT NOT NULL,
    quarantined_rows BIGINT NOT NULL, loaded_at TIMESTAMP WITH TIME ZONE NOT NULL
"""
# The tables as dlt created them (same columns, types and NOT NULLs), for a fresh warehouse;
# ``events`` is a view over the lake (:meth:`GamingLake.events_view`).
TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {DATASET};
CREATE TABLE IF NOT EXISTS {DATASET}.quarantine (
    source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR NOT NULL,
    reason VARCHAR NOT NULL, batch_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS {DATASET}.files ({_MANIFEST_COLUMNS});
CREATE TABLE IF NOT EXISTS {DATASET}.file_loads ({_MANIFEST_COLUMNS});
"""
# Threads preparing batches while the caller's thread commits them.
WORKERS = 2
_EVENTS = ", ".join(f'"{f.name}"' for f in EVENTS_SCHEMA)


@dataclass
class WriteStats:
    """Where a write's time went (wall seconds, summed over batches; the first three over the
    worker threads)."""

    read: float = 0.0  # landing → bytes
    split: float = 0.0  # bytes → numbered lines, the usual shape taken apart
    classify: float = 0.0  # the other lines classified, the batch's Parquet file written
    insert: float = 0.0  # quarantine and manifest inserted, file published, committed
    batches: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_prepare(self, read: float, split: float, classify: float) -> None:
        with self._lock:
            self.read += read
            self.split += split
            self.classify += classify


def ensure_tables(con: duckdb.DuckDBPyConnection, lake: GamingLake | None = None) -> None:
    """The tables, and ``events`` as a view of ``lake``; the rows of a warehouse from before
    the lake (an ``events`` table) are moved into it first, one file per batch."""
    lake = lake or GamingLake()
    con.execute(TABLES)
    con.execute(COMPACTED_TABLE)
    if lake.is_s3:
        configure_s3(con)
    if con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'events'", [DATASET]
    ).fetchone():
        target = sql_string(lake.uri("events"))
        con.execute(
            f"COPY (SELECT source_file, line_number, NULL::VARCHAR AS reason, NULL::VARCHAR AS"
            f" raw, {_EVENTS}, batch_id FROM {DATASET}.events) TO {target} (FORMAT parquet,"
            " COMPRESSION zstd, PARTITION_BY (batch_id), FILENAME_PATTERN 'part-{i}',"
            " OVERWRITE_OR_IGNORE)"
        )
        con.execute(f"DROP TABLE {DATASET}.events")
    con.execute(f"CREATE OR REPLACE VIEW {DATASET}.events AS {lake.events_view(con)}")


@dataclass
class PreparedBatch:
    """A group of files read, validated and written to its batch's scratch Parquet file, its
    batch journaled in the lake; not committed yet."""

    files: list[LandedFile]
    contents: dict[str, bytes]
    batch_id: str
    scratch: Path
    # read back from the written file: per file (lines, valid lines), and the rejected lines
    counts: dict[str, tuple[int, int]]
    quarantine: pa.Table

    @property
    def local(self) -> Path:
        return _local(self.scratch)


def _local(scratch: Path) -> Path:
    """The batch's file in its scratch folder."""
    return scratch / "part-0.parquet"


def prepare_batch(
    con: duckdb.DuckDBPyConnection,
    lake: GamingLake,
    landing: Landing,
    files: list[LandedFile],
    stats: WriteStats,
) -> PreparedBatch:
    """Read ``files``, split and validate their lines and write every line (its values, or
    its raw text and reason) to a new batch's scratch Parquet file, journaled first. Runs in a
    worker thread (``con``: that thread's own cursor); :func:`commit_batch` finishes it."""
    started = time.perf_counter()
    contents = landing.read(files)
    split_started = time.perf_counter()
    lines = with_shape(lines_table(contents, dictionary=True))
    classify_started = time.perf_counter()
    batch_id = new_batch_id()
    lake.write_json(journal_rel(batch_id), {"batch_id": batch_id, "files": [batch_rel(batch_id)]})
    scratch = lake.new_scratch(batch_id)
    local = _local(scratch)
    try:
        # Arrow's writer: no copy of the strings into DuckDB first (0.2 s per 1M lines
        # against DuckDB's 0.35-0.45 s from the same table)
        pq.write_table(classify(lines, con), local, compression="zstd")
        fsync_path(local)  # durable here: the commit's publish only renames it
        written = f"read_parquet({sql_string(str(local))})"
        counts = {
            path: (n, valid)
            for path, n, valid in con.execute(
                "SELECT source_file, count(*), count(*) FILTER (WHERE reason IS NULL) "
                f"FROM {written} GROUP BY source_file"
            ).fetchall()
        }
        quarantine = con.execute(
            f"SELECT source_file, line_number, raw, reason FROM {written} WHERE reason IS NOT NULL"
        ).fetch_arrow_table()
    except BaseException:
        lake.drop_scratch(scratch)
        raise
    finished = time.perf_counter()
    stats.add_prepare(
        split_started - started, classify_started - split_started, finished - classify_started
    )
    return PreparedBatch(files, contents, batch_id, scratch, counts, quarantine)


def commit_batch(
    con: duckdb.DuckDBPyConnection,
    lake: GamingLake,
    prepared: PreparedBatch,
    stats: WriteStats | None = None,
    keep_rows: bool = False,
) -> ParsedBatch:
    """Commit a prepared batch: quarantine and manifest from its file, the file published,
    one warehouse transaction. Returns the batch: its manifest rows, and its valid and
    quarantined rows as Arrow tables when ``keep_rows`` (for the real-time store; empty tables
    otherwise)."""
    stats = stats or WriteStats()
    batch_id, files, contents = prepared.batch_id, prepared.files, prepared.contents
    rel = batch_rel(batch_id)
    try:
        local = sql_string(str(prepared.local))
        started = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        con.register("gaming_quarantine_in", prepared.quarantine)
        try:
            con.execute(
                f"INSERT INTO {DATASET}.quarantine BY NAME "
                "SELECT source_file, line_number, raw, reason, $batch AS batch_id "
                "FROM gaming_quarantine_in",
                {"batch": batch_id},
            )
            counts = {
                path: {"lines_read": n, "valid_rows": valid, "quarantined_rows": n - valid}
                for path, (n, valid) in prepared.counts.items()
            }
            empty = {"lines_read": 0, "valid_rows": 0, "quarantined_rows": 0}
            manifest = manifest_rows(
                files, contents, batch_id, lambda path: counts.get(path, empty), FILES_SCHEMA
            )
            con.register("gaming_manifest", manifest)
            con.execute(
                f"DELETE FROM {DATASET}.files "
                "WHERE source_file IN (SELECT source_file FROM gaming_manifest)"
            )
            con.execute(f"INSERT INTO {DATASET}.files BY NAME SELECT * FROM gaming_manifest")
            con.execute(f"INSERT INTO {DATASET}.file_loads BY NAME SELECT * FROM gaming_manifest")
            if keep_rows:
                events = con.execute(
                    f"SELECT {_EVENTS} FROM read_parquet({local}) WHERE reason IS NULL"
                ).fetch_arrow_table()
                quarantine = prepared.quarantine
            else:
                events, quarantine = EVENTS_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table()
            lake.publish(prepared.local, rel)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("gaming_manifest")
            con.unregister("gaming_quarantine_in")
    finally:
        lake.drop_scratch(prepared.scratch)
    lake.delete(journal_rel(batch_id))
    stats.insert += time.perf_counter() - started
    stats.batches.append(batch_id)
    return ParsedBatch(
        batch_id=batch_id,
        events=with_batch(events.cast(EVENTS_SCHEMA), batch_id),
        quarantine=with_batch(quarantine.cast(QUARANTINE_SCHEMA), batch_id),
        files=manifest,
        file_paths=[f.path for f in files],
    )


def write(
    plan: LoadPlan,
    stats: WriteStats | None = None,
    on_batch: Callable[[ParsedBatch], None] | None = None,
) -> WriteStats:
    """Write every pending file of ``plan`` (caller holds the warehouse lock), counting into the
    plan as its batches commit; ``on_batch`` gets each committed batch with its rows (the
    real-time store's feed: one read and one parse for both). Two worker threads prepare the
    next batches (read, split, validate, Parquet; numba, Arrow and DuckDB all work without
    the GIL) while this thread commits them one by one, in listing order."""
    stats = stats or WriteStats()
    groups = _first_small(group_files(plan.pending, plan.files_per_batch, plan.bytes_per_batch))
    lake = GamingLake()
    with (
        warehouse.connect(lock=False) as con,
        ThreadPoolExecutor(WORKERS, "gaming-prepare") as pool,
    ):
        ensure_tables(con, lake)
        # at most WORKERS batches are in preparation, submitted one after another: taking
        # the cursors in turn, no two of them share one
        cursors = [con.cursor() for _ in range(WORKERS)]
        turns = itertools.cycle(cursors)
        ahead: deque[Future[PreparedBatch]] = deque()

        def prepare_next() -> None:
            group = next(groups, None)
            if group is not None:
                job = (next(turns), lake, plan.landing, group, stats)
                ahead.append(pool.submit(prepare_batch, *job))

        try:
            for _ in range(WORKERS):
                prepare_next()
            while ahead:
                prepared = ahead.popleft().result()
                prepare_next()
                batch = commit_batch(con, lake, prepared, stats, keep_rows=on_batch is not None)
                plan.record(
                    batch,
                    valid=int(pc.sum(batch.files["valid_rows"]).as_py() or 0),
                    quarantined=int(pc.sum(batch.files["quarantined_rows"]).as_py() or 0),
                )
                if on_batch is not None:
                    on_batch(batch)
        finally:
            _drop_unfinished(lake, ahead)
            for cursor in cursors:
                cursor.close()
        lake.compact(con)
    return stats


def _drop_unfinished(lake: GamingLake, ahead: deque[Future[PreparedBatch]]) -> None:
    """After a failure: the scratch files of batches prepared but not committed (their
    journals stay; the next load's recovery deletes what they name, as after a crash)."""
    for future in ahead:
        try:
            lake.drop_scratch(future.result().scratch)
        except BaseException:  # the first failure is the one raised
            continue


def _first_small(groups: Iterator[list[LandedFile]]) -> Iterator[list[LandedFile]]:
    """``groups`` with the first one cut in a quarter and the rest: the first commit waits only
    for the quarter to be prepared."""
    first = next(groups, None)
    if first is not None:
        cut = len(first) // 4
        if cut:
            yield first[:cut]
        yield first[cut:]
    yield from groups
