"""A gaming load written straight into the warehouse: one DuckDB transaction per batch.

The four ``gaming_raw`` tables keep the shape and meaning dlt gave them (see
:mod:`loaders.gaming.source`, still the declared schema and the Dagster asset specs), but the
rows no longer travel through dlt: Arrow tables, Parquet files, normalise and a ``COPY`` cost
5-7x DuckDB's own ``read_json`` of the same files (``bench.gaming_throughput``). Here each
batch of files (``GAMING_FILES_PER_BATCH``, 64 MB at most) is

1. read and split into numbered lines (:func:`loaders.incremental_files.lines_table`);
2. classified by the domain's one query (:mod:`loaders.gaming.parsing`) into a temporary
   table of the warehouse connection, inside a transaction;
3. inserted from there: valid rows into ``events``, rejected lines (raw text, reason) into
   ``quarantine``, both tagged with the batch id; then the batch's manifest rows (lines read,
   valid, quarantined per file, counted from the same temporary table) replace the files'
   rows in ``files`` and are appended to ``file_loads``;
4. committed. The manifest is the commit record and it commits with the rows: a crash at any
   point leaves either the whole batch or nothing of it, and a file whose batch did not commit
   is simply pending again. Nothing is lost or doubled after a re-run.

The caller holds the warehouse lock (:func:`loaders.file_domain.load_once`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.batched_load import LoadPlan, ParsedBatch, group_files
from loaders.gaming.parsing import _CLASSIFY, EVENTS_SCHEMA, QUARANTINE_SCHEMA
from loaders.incremental_files import (
    FILES_SCHEMA,
    LandedFile,
    Landing,
    lines_table,
    manifest_rows,
    new_batch_id,
    with_batch,
)
from tributary import warehouse

DATASET = "gaming_raw"
# The manifest's columns: `files` (each file's current load) and `file_loads` (every load).
_MANIFEST_COLUMNS = """
    source_file VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, size_bytes BIGINT NOT NULL,
    batch_id VARCHAR NOT NULL, lines_read BIGINT NOT NULL, valid_rows BIGINT NOT NULL,
    quarantined_rows BIGINT NOT NULL, loaded_at TIMESTAMP WITH TIME ZONE NOT NULL
"""
# The tables as dlt created them (same columns, types and NOT NULLs), for a fresh warehouse.
TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {DATASET};
CREATE TABLE IF NOT EXISTS {DATASET}.events (
    source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, "user" VARCHAR NOT NULL,
    "timestamp" VARCHAR NOT NULL, evtname VARCHAR NOT NULL, spend VARCHAR,
    batch_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS {DATASET}.quarantine (
    source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR NOT NULL,
    reason VARCHAR NOT NULL, batch_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS {DATASET}.files ({_MANIFEST_COLUMNS});
CREATE TABLE IF NOT EXISTS {DATASET}.file_loads ({_MANIFEST_COLUMNS});
"""
_EVENTS = ", ".join(f'"{f.name}"' for f in EVENTS_SCHEMA)
DISABLED_COMPRESSION = "fsst,dict_fsst"
# Rows handed to DuckDB per Arrow chunk: several chunks let its threads share a batch.
CHUNK_ROWS = 64 * 1024


@dataclass
class WriteStats:
    """Where a write's time went (wall seconds, summed over batches)."""

    read: float = 0.0  # landing → bytes
    split: float = 0.0  # bytes → numbered lines
    classify: float = 0.0  # the validation query into the temporary table
    insert: float = 0.0  # rows, quarantine and manifest inserted, committed
    batches: list[str] = field(default_factory=list)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(TABLES)


def _chunked(table: pa.Table) -> pa.Table:
    return pa.Table.from_batches(table.to_batches(max_chunksize=CHUNK_ROWS), table.schema)


@dataclass
class ReadBatch:
    """A group of files read and split into numbered lines, ready to classify."""

    files: list[LandedFile]
    contents: dict[str, bytes]
    lines: pa.Table


def read_batch(landing: Landing, files: list[LandedFile], stats: WriteStats) -> ReadBatch:
    started = time.perf_counter()
    contents = landing.read(files)
    split_started = time.perf_counter()
    lines = _chunked(lines_table(contents))
    stats.read += split_started - started
    stats.split += time.perf_counter() - split_started
    return ReadBatch(files, contents, lines)


def write_batch(
    con: duckdb.DuckDBPyConnection,
    read: ReadBatch,
    stats: WriteStats | None = None,
    keep_rows: bool = False,
) -> ParsedBatch:
    """Validate the lines of ``read`` and commit them as one batch. Returns the batch: its
    manifest rows, and its valid and quarantined rows as Arrow tables when ``keep_rows`` (for
    the real-time store; empty tables otherwise)."""
    stats = stats or WriteStats()
    batch_id = new_batch_id()
    files, contents = read.files, read.contents
    con.register("lines_in", read.lines)
    con.execute("BEGIN TRANSACTION")
    try:
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE gaming_classified AS {_CLASSIFY}")
        stats.classify += time.perf_counter() - started
        started = time.perf_counter()
        params = {"batch": batch_id}
        con.execute(
            f"INSERT INTO {DATASET}.events BY NAME "
            f"SELECT {_EVENTS}, $batch AS batch_id FROM gaming_classified WHERE reason IS NULL",
            params,
        )
        con.execute(
            f"INSERT INTO {DATASET}.quarantine BY NAME "
            "SELECT source_file, line_number, raw, reason, $batch AS batch_id "
            "FROM gaming_classified WHERE reason IS NOT NULL",
            params,
        )
        counts = {
            path: {"lines_read": read, "valid_rows": valid, "quarantined_rows": read - valid}
            for path, read, valid in con.execute(
                "SELECT source_file, count(*), count(*) FILTER (WHERE reason IS NULL) "
                "FROM gaming_classified GROUP BY source_file"
            ).fetchall()
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
                f"SELECT {_EVENTS} FROM gaming_classified WHERE reason IS NULL"
            ).fetch_arrow_table()
            quarantine = con.execute(
                "SELECT source_file, line_number, raw, reason FROM gaming_classified "
                "WHERE reason IS NOT NULL"
            ).fetch_arrow_table()
        else:
            events, quarantine = EVENTS_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table()
        con.execute("DROP TABLE gaming_classified")
        con.execute("COMMIT")
        stats.insert += time.perf_counter() - started
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("lines_in")
        con.unregister("gaming_manifest")
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
    real-time store's feed: one read and one parse for both). The next batch is read and split
    in a second thread while DuckDB classifies and inserts the current one."""
    stats = stats or WriteStats()
    groups = group_files(plan.pending, plan.files_per_batch, plan.bytes_per_batch)
    with warehouse.connect(lock=False) as con, ThreadPoolExecutor(1, "gaming-read") as reader:
        ensure_tables(con)
        # FSST's analysis costs ~15 % of an insert for little gain on these short strings;
        # dictionary compression (files, batches, event names) is kept.
        con.execute(f"SET disabled_compression_methods = '{DISABLED_COMPRESSION}'")
        try:
            ahead = _read_next(reader, plan.landing, groups, stats)
            while ahead is not None:
                read = ahead.result()
                ahead = _read_next(reader, plan.landing, groups, stats)
                batch = write_batch(con, read, stats, keep_rows=on_batch is not None)
                plan.record(
                    batch,
                    valid=int(pc.sum(batch.files["valid_rows"]).as_py() or 0),
                    quarantined=int(pc.sum(batch.files["quarantined_rows"]).as_py() or 0),
                )
                if on_batch is not None:
                    on_batch(batch)
        finally:
            con.execute("RESET disabled_compression_methods")
    return stats


def _read_next(
    reader: ThreadPoolExecutor, landing: Landing, groups: Iterator[list[LandedFile]], stats
) -> Future[ReadBatch] | None:
    group = next(groups, None)
    return None if group is None else reader.submit(read_batch, landing, group, stats)
