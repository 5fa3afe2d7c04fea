"""Exactly-once landing of one batch of lines into the lake.

The lake's own Parquet files are the id index: an event id is "seen" when a committed file of
its partition ``(type, date, hour)`` holds it. For a batch:

1. validate every line (:mod:`validation`) into a temp table ``classified`` (parsed fields and
   partition values; the raw text only for invalid lines);
2. find the ids repeated inside the batch (a hash aggregate) and, for those only, the row ids
   of the copies that lose (first by content order wins, deterministically);
3. list the files of the partitions the batch touches and find which of the batch's ids they
   already hold (counted as duplicates); both drop-sets are small, so the batch's rows are
   copied only once, into the Arrow table that is written;
4. write the new rows, sorted by partition and id, one file per partition
   (``part-<batch>-<n>.parquet``), and the quarantined lines to ``quarantine/<batch>.parquet``;
5. publish each file in one step (rename, or one S3 PUT);
6. write the commit record ``_batches/<batch>.json`` last.

Crash safety: the batch id of a file batch is a hash of its input files and fingerprints, so a
re-run after a crash has the same id and first deletes whatever files of that id were
published (step 0, "recovery"), then does it all again. Input files count as loaded only once
their commit record exists. For a stream batch (whose grouping may differ on redelivery),
files already published by a crashed batch simply hold ids the retry then counts as
duplicates; no id lands twice either way. A duplicate is assumed to be the same event (same
type and hour): the index is per partition, so an id re-used with another type or hour is not
detected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.events.lake import HIVE_TYPES, Lake, Partition
from loaders.events.validation import CLASSIFY_SQL
from loaders.lake_storage import value_runs
from tributary.duck import sql_list

# The columns of every lake file (the partition columns live in the path). ``attributes`` and
# ``meta`` are the JSON objects as text: lossless for every one of the hundreds of types, and
# one stable file schema; ``user_id`` and ``service`` are promoted because KPIs use them.
LAKE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us"), nullable=False),
        pa.field("service", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("attributes", pa.string(), nullable=False),
        pa.field("meta", pa.string(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("position", pa.int64()),
    ]
)
PARTITION_SCHEMA = pa.schema(
    [("event_type", pa.string()), ("date", pa.string()), ("hour", pa.string())]
)


@dataclass
class BatchResult:
    """What one batch read and where every line went: read = landed + duplicates +
    quarantined + out_of_scope (lines valid but outside the hour a backfill asked for)."""

    batch_id: str
    kind: str
    read: int = 0
    landed: int = 0
    duplicates_in_batch: int = 0
    duplicates_in_lake: int = 0
    quarantined: int = 0
    out_of_scope: int = 0
    partitions: list[list[str]] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    hour: str | None = None
    seconds: float = 0.0
    committed_at: str = ""

    @property
    def duplicates(self) -> int:
        return self.duplicates_in_batch + self.duplicates_in_lake

    @property
    def balanced(self) -> bool:
        return self.read == self.landed + self.duplicates + self.quarantined + self.out_of_scope

    def record(self) -> dict:
        return {**asdict(self), "duplicates": self.duplicates}


def batch_rel(batch_id: str) -> str:
    return f"_batches/{batch_id}.json"


def quarantine_rel(batch_id: str) -> str:
    return f"quarantine/{batch_id}.parquet"


@dataclass
class Prepared:
    """A batch validated, de-duplicated and held in memory, ready for :func:`publish`."""

    result: BatchResult
    started: float
    scratch: Path
    table: pa.Table | None = None  # the new rows, sorted by partition and id
    runs: list[tuple[Partition, int]] = field(default_factory=list)  # rows per partition
    new_partitions: set[Partition] = field(default_factory=set)  # without a folder yet
    quarantine_file: Path | None = None


def land_lines(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    batch_id: str,
    kind: str,
    inputs: list[dict] | None = None,
    hour: datetime | None = None,
    quarantine: bool = True,
) -> BatchResult:
    """Land the relation ``lines_in`` of ``con`` as batch ``batch_id`` (see module docstring).

    ``hour``: land only valid events of that UTC hour (a backfill of one hour partition);
    ``quarantine=False`` leaves invalid lines to the batch that owns their file.
    """
    return publish(lake, prepare(con, lake, batch_id, kind, inputs, hour, quarantine))


def prepare(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    batch_id: str,
    kind: str,
    inputs: list[dict] | None = None,
    hour: datetime | None = None,
    quarantine: bool = True,
    before_lake: Callable[[], None] | None = None,
) -> Prepared:
    """Steps 1-3 (and the quarantine file in scratch): everything but publication.

    ``before_lake`` is called after validation and in-batch de-duplication and before the lake
    is looked at: a pipelined caller waits there for the previous batch to be published, so
    this batch's duplicate check sees it (validation overlaps the previous batch's writes).
    """
    started = time.perf_counter()
    result = BatchResult(batch_id=batch_id, kind=kind, inputs=inputs or [])
    con.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {CLASSIFY_SQL}")
    scope = "TRUE"
    if hour is not None:
        start = hour.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        result.hour = start.strftime("%Y-%m-%dT%H")
        scope = f"created_at >= TIMESTAMP '{start:%Y-%m-%d %H}:00:00' AND created_at < TIMESTAMP '{start:%Y-%m-%d %H}:00:00' + INTERVAL 1 HOUR"
    counts = con.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE reason IS NOT NULL),
               count(*) FILTER (WHERE reason IS NULL AND NOT ({scope}))
        FROM classified
        """
    ).fetchone()
    result.read, bad, result.out_of_scope = (int(v) for v in counts)
    if not quarantine:
        result.out_of_scope += bad
        bad = 0
    result.quarantined = bad
    valid_in_scope = result.read - bad - result.out_of_scope

    # The rows to drop are few, so they are found as small sets of row ids and ids, and the
    # batch's rows are copied once, when they are written (no intermediate copies of the batch).
    # In-batch duplicates: one row per id; among differing copies the smallest content wins,
    # so a file replay and a stream replay of the same lines choose the same row. Only the
    # ids that occur more than once (a hash aggregate) go through the window.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE batch_losers AS
        SELECT rowid AS rid
        FROM classified
        WHERE reason IS NULL AND ({scope})
          AND id IN (
              SELECT id FROM classified WHERE reason IS NULL AND ({scope})
              GROUP BY id HAVING count(*) > 1
          )
        QUALIFY row_number() OVER (
            PARTITION BY id ORDER BY created_at, type, attributes::VARCHAR, meta::VARCHAR
        ) > 1
        """
    )
    result.duplicates_in_batch = con.execute("SELECT count(*) FROM batch_losers").fetchone()[0]
    fresh = valid_in_scope - result.duplicates_in_batch
    keep = f"""
        FROM classified AS c ANTI JOIN batch_losers AS l ON c.rowid = l.rid
        WHERE c.reason IS NULL AND ({scope})
    """
    partitions = [
        Partition(*row)
        for row in con.execute(
            f"SELECT DISTINCT c.type, c.date, c.hour {keep} ORDER BY ALL"
        ).fetchall()
    ]

    if before_lake is not None:
        before_lake()
    # Recovery: files a crashed attempt of this same batch published are removed first.
    existing = lake.partition_files(partitions)
    prefix = f"part-{batch_id}-"
    stale = [f.uri for files in existing.values() for f in files if f.name.startswith(prefix)]
    if stale:
        lake.delete_uris(stale)
    others = [f.uri for files in existing.values() for f in files if not f.name.startswith(prefix)]

    # In-lake duplicates: the batch's ids that a committed file of their partition holds.
    con.execute("CREATE OR REPLACE TEMP TABLE lake_dups (id UUID)")
    if others:
        con.execute(
            f"""
            INSERT INTO lake_dups
            SELECT DISTINCT c.id {keep}
              AND c.id IN (SELECT id::UUID FROM read_parquet({sql_list(others)}))
            """
        )
    result.duplicates_in_lake = con.execute("SELECT count(*) FROM lake_dups").fetchone()[0]
    result.landed = fresh - result.duplicates_in_lake

    prepared = Prepared(result=result, started=started, scratch=lake.new_scratch(batch_id))
    try:
        if result.landed:
            prepared.table, prepared.runs = fetch_sorted(
                con,
                batch_id,
                f"{keep.replace('WHERE', 'ANTI JOIN lake_dups AS d ON c.id = d.id WHERE')}",
            )
            result.partitions = [[p.event_type, p.date, p.hour] for p, _ in prepared.runs]
            prepared.new_partitions = {p for p, _ in prepared.runs if p not in existing}
        if bad:
            prepared.quarantine_file = prepared.scratch / "quarantine.parquet"
            con.execute(
                f"""
                COPY (
                    SELECT source, position, raw, reason, ? AS batch_id,
                           now()::TIMESTAMP AS quarantined_at
                    FROM classified WHERE reason IS NOT NULL ORDER BY source, position
                ) TO '{prepared.quarantine_file}' (FORMAT parquet, COMPRESSION zstd)
                """,
                [batch_id],
            )
    except BaseException:
        lake.drop_scratch(prepared.scratch)
        raise
    for table in ("classified", "batch_losers", "lake_dups"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return prepared


def publish(lake: Lake, prepared: Prepared) -> BatchResult:
    """Steps 4-6: write and publish the partition files and the quarantine file, then the
    commit record. Needs no DuckDB connection (a pipelined caller runs it in a thread)."""
    result = prepared.result
    try:
        if prepared.table is not None:
            write_partitions(lake, prepared)
        if prepared.quarantine_file is not None:
            lake.publish(prepared.quarantine_file, quarantine_rel(result.batch_id))
    finally:
        lake.drop_scratch(prepared.scratch)
    prepared.table = None
    result.seconds = round(time.perf_counter() - prepared.started, 3)
    result.committed_at = datetime.now(UTC).isoformat()
    lake.write_json(batch_rel(result.batch_id), result.record())
    return result


def fetch_sorted(
    con: duckdb.DuckDBPyConnection, batch_id: str, rows: str
) -> tuple[pa.Table, list[tuple[Partition, int]]]:
    """The rows of ``rows`` (a FROM … WHERE clause over ``classified AS c``) as one Arrow
    table in the lake's schema, sorted by partition and id, and the row count per partition."""
    table = con.execute(
        f"""
        SELECT c.id::VARCHAR AS id, c.type, c.created_at, c.service, c.user_id,
               c.attributes::VARCHAR AS attributes, c.meta::VARCHAR AS meta,
               ? AS batch_id, c.source, c.position, c.date AS date_, c.hour AS hour_
        {rows}
        ORDER BY c.type, c.date, c.hour, c.id
        """,
        [batch_id],
    ).fetch_arrow_table()
    # Sorted by partition: each partition is one run of the key "type/date/hour" ('/' is not
    # allowed in a type name).
    key = pc.binary_join_element_wise(
        table["type"].combine_chunks(),
        table["date_"].combine_chunks(),
        table["hour_"].combine_chunks(),
        "/",
    )
    runs = [(Partition(*value.split("/")), n) for value, n in value_runs(key)]
    return table.drop_columns(["date_", "hour_"]).cast(LAKE_SCHEMA), runs


def write_partitions(lake: Lake, prepared: Prepared) -> int:
    """Write ``prepared.table`` as one Parquet file per partition and publish them
    (:meth:`loaders.lake_storage.LakeStorage.write_slices`).

    DuckDB's ``COPY … PARTITION_BY`` keeps a writer per open partition and ran out of memory
    at a few thousand partitions per batch (300 types x a day of hours); here each partition
    is a zero-copy slice of the sorted table written by pyarrow. Folders are created only for
    partitions new to the lake; statistics only where they prune (id lookups, time ranges).
    """
    assert prepared.table is not None
    prefix = f"part-{prepared.result.batch_id}-"
    runs = [(f"{p.rel}/{prefix}0.parquet", n) for p, n in prepared.runs]
    existing = {p.rel for p, _ in prepared.runs if p not in prepared.new_partitions}
    written = lake.write_slices(
        prepared.table, runs, prepared.scratch, existing, statistics=["id", "created_at"]
    )
    return len(written)


def read_events(lake: Lake, con: duckdb.DuckDBPyConnection, files: list[str] | None = None) -> str:
    """A FROM clause over the lake's events (or the given files), with the hive columns."""
    source = sql_list(files) if files is not None else f"'{lake.events_glob}'"
    return f"read_parquet({source}, hive_partitioning = true, hive_types = {HIVE_TYPES})"
