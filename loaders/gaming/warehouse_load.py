"""A gaming load: the lines land in the gaming lake, the manifest in the warehouse, per batch.

The four ``gaming_raw`` relations keep the shape and meaning dlt gave them (see
:mod:`loaders.gaming.source`, still the declared schema and the Dagster asset specs), but the
rows no longer travel through dlt, nor into a warehouse table: storing them in DuckDB's own
format cost more than classifying them (``bench.gaming_throughput``). Each batch of files
(``GAMING_FILES_PER_BATCH``, 64 MB at most) is

1. read and split into numbered lines (:func:`loaders.incremental_files.lines_table`);
2. journaled in the lake, then classified by the domain's one query
   (:mod:`loaders.gaming.parsing`) straight into one Parquet file by DuckDB's ``COPY``
   (:mod:`loaders.gaming.lake`: every line, valid or not, with its reason);
3. inside one warehouse transaction: the rejected lines (raw text, reason) read back from that
   file into ``quarantine``, the batch's manifest rows (lines read, valid, quarantined per
   file, counted from the file) replacing the files' rows in ``files`` and appended to
   ``file_loads``; the file is published into the lake;
4. committed, then its journal deleted. The manifest is the commit record: dbt reads only the
   batch the manifest names for each file, so a crash at any point leaves either the whole
   batch or nothing of it visible, a file whose batch did not commit is simply pending again,
   and the next load deletes what the dead batch published. Nothing is lost or doubled.

``gaming_raw.events`` is a view of the lake's valid lines (recreated by each load). The caller
holds the warehouse lock (:func:`loaders.file_domain.load_once`).
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
from loaders.gaming.lake import COMPACTED_TABLE, GamingLake, batch_rel
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
from loaders.lake_storage import configure_s3, journal_rel
from tributary import warehouse
from tributary.duck import sql_string

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
_EVENTS = ", ".join(f'"{f.name}"' for f in EVENTS_SCHEMA)
# Rows handed to DuckDB per Arrow chunk: several chunks let its threads share a batch.
CHUNK_ROWS = 64 * 1024


@dataclass
class WriteStats:
    """Where a write's time went (wall seconds, summed over batches)."""

    read: float = 0.0  # landing → bytes
    split: float = 0.0  # bytes → numbered lines
    classify: float = 0.0  # the validation query into the batch's Parquet file
    insert: float = 0.0  # quarantine and manifest inserted, file published, committed
    batches: list[str] = field(default_factory=list)


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
    lines = _chunked(lines_table(contents, dictionary=True))
    stats.read += split_started - started
    stats.split += time.perf_counter() - split_started
    return ReadBatch(files, contents, lines)


def write_batch(
    con: duckdb.DuckDBPyConnection,
    lake: GamingLake,
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
    rel = batch_rel(batch_id)
    lake.write_json(journal_rel(batch_id), {"batch_id": batch_id, "files": [rel]})
    with lake.scratch(batch_id) as scratch:
        local = sql_string(str(scratch / "part-0.parquet"))
        con.register("lines_in", read.lines)
        try:
            started = time.perf_counter()
            con.execute(f"COPY ({_CLASSIFY}) TO {local} (FORMAT parquet, COMPRESSION zstd)")
        finally:
            con.unregister("lines_in")
        stats.classify += time.perf_counter() - started
        started = time.perf_counter()
        lines = f"read_parquet({local})"
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"INSERT INTO {DATASET}.quarantine BY NAME "
                f"SELECT source_file, line_number, raw, reason, $batch AS batch_id FROM {lines} "
                "WHERE reason IS NOT NULL",
                {"batch": batch_id},
            )
            counts = {
                path: {"lines_read": n, "valid_rows": valid, "quarantined_rows": n - valid}
                for path, n, valid in con.execute(
                    "SELECT source_file, count(*), count(*) FILTER (WHERE reason IS NULL) "
                    f"FROM {lines} GROUP BY source_file"
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
                    f"SELECT {_EVENTS} FROM {lines} WHERE reason IS NULL"
                ).fetch_arrow_table()
                quarantine = con.execute(
                    f"SELECT source_file, line_number, raw, reason FROM {lines} "
                    "WHERE reason IS NOT NULL"
                ).fetch_arrow_table()
            else:
                events, quarantine = EVENTS_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table()
            lake.publish(scratch / "part-0.parquet", rel)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("gaming_manifest")
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
    real-time store's feed: one read and one parse for both). The next batch is read and split
    in a second thread while DuckDB classifies and inserts the current one."""
    stats = stats or WriteStats()
    groups = group_files(plan.pending, plan.files_per_batch, plan.bytes_per_batch)
    lake = GamingLake()
    with warehouse.connect(lock=False) as con, ThreadPoolExecutor(1, "gaming-read") as reader:
        ensure_tables(con, lake)
        ahead = _read_next(reader, plan.landing, groups, stats)
        while ahead is not None:
            read = ahead.result()
            ahead = _read_next(reader, plan.landing, groups, stats)
            batch = write_batch(con, lake, read, stats, keep_rows=on_batch is not None)
            plan.record(
                batch,
                valid=int(pc.sum(batch.files["valid_rows"]).as_py() or 0),
                quarantined=int(pc.sum(batch.files["quarantined_rows"]).as_py() or 0),
            )
            if on_batch is not None:
                on_batch(batch)
        lake.compact(con)
    return stats


def _read_next(
    reader: ThreadPoolExecutor, landing: Landing, groups: Iterator[list[LandedFile]], stats
) -> Future[ReadBatch] | None:
    group = next(groups, None)
    return None if group is None else reader.submit(read_batch, landing, group, stats)
