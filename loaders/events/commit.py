"""Exactly-once landing of one batch of lines into the lake.

The lake's own Parquet files are the id index: an event id is "seen" when a committed file of
its partition ``(type, date, hour)`` holds it. For a batch:

1. validate every line (:mod:`validation`) into a temp table;
2. drop ids repeated inside the batch (first by content order wins, deterministically);
3. list the files of the partitions the batch touches and anti-join their ids: what is left
   is new (ids already landed count as duplicates);
4. write the new rows, sorted by partition and id, to local scratch, one file per partition
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

import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.events.lake import HIVE_TYPES, Lake, Partition
from loaders.events.validation import CLASSIFY_SQL

EVENT_COLUMNS = (
    "id::VARCHAR AS id, type, created_at, service, user_id, attributes::VARCHAR AS attributes, "
    "meta::VARCHAR AS meta, batch_id, source, position"
)
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


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


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

    # In-batch duplicates: one row per id; among differing copies the smallest content wins,
    # so a file replay and a stream replay of the same lines choose the same row.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE fresh AS
        SELECT *, type AS event_type, strftime(created_at, '%Y-%m-%d') AS date,
               strftime(created_at, '%H') AS hour
        FROM classified
        WHERE reason IS NULL AND ({scope})
        QUALIFY row_number() OVER (
            PARTITION BY id ORDER BY created_at, type, attributes::VARCHAR, meta::VARCHAR
        ) = 1
        """
    )
    fresh = con.execute("SELECT count(*) FROM fresh").fetchone()[0]
    valid_in_scope = result.read - bad - result.out_of_scope
    result.duplicates_in_batch = valid_in_scope - fresh
    partitions = [
        Partition(*row)
        for row in con.execute(
            "SELECT DISTINCT event_type, date, hour FROM fresh ORDER BY ALL"
        ).fetchall()
    ]

    # Recovery: files a crashed attempt of this same batch published are removed first.
    existing = lake.partition_files(partitions)
    prefix = f"part-{batch_id}-"
    stale = [f.uri for files in existing.values() for f in files if f.name.startswith(prefix)]
    if stale:
        lake.delete_uris(stale)
    others = [f.uri for files in existing.values() for f in files if not f.name.startswith(prefix)]

    if others:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE new_rows AS
            SELECT * FROM fresh
            ANTI JOIN (SELECT id::UUID AS id FROM read_parquet({_sql_list(others)})) AS seen USING (id)
            """
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE new_rows AS SELECT * FROM fresh")
    result.landed = con.execute("SELECT count(*) FROM new_rows").fetchone()[0]
    result.duplicates_in_lake = fresh - result.landed
    landed_partitions = con.execute(
        "SELECT DISTINCT event_type, date, hour FROM new_rows ORDER BY ALL"
    ).fetchall()
    result.partitions = [list(p) for p in landed_partitions]

    with lake.scratch(batch_id) as scratch:
        if result.landed:
            write_partitions(con, lake, scratch, prefix, batch_id)
        if bad:
            q_path = scratch / "quarantine.parquet"
            con.execute(
                f"""
                COPY (
                    SELECT source, position, raw, reason, ? AS batch_id,
                           now()::TIMESTAMP AS quarantined_at
                    FROM classified WHERE reason IS NOT NULL ORDER BY source, position
                ) TO '{q_path}' (FORMAT parquet, COMPRESSION zstd)
                """,
                [batch_id],
            )
            lake.publish(q_path, quarantine_rel(batch_id))
    result.seconds = round(time.perf_counter() - started, 3)
    result.committed_at = datetime.now(UTC).isoformat()
    lake.write_json(batch_rel(batch_id), result.record())
    for table in ("classified", "fresh", "new_rows"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return result


def write_partitions(
    con: duckdb.DuckDBPyConnection, lake: Lake, scratch: Path, prefix: str, batch_id: str
) -> int:
    """Write ``new_rows`` as one Parquet file per partition, sorted by id, and publish them.

    DuckDB's ``COPY … PARTITION_BY`` keeps a writer per open partition and ran out of memory
    at a few thousand partitions per batch (300 types x a day of hours); here the table comes
    back sorted by partition and each partition is a zero-copy slice written by pyarrow (a
    loop per partition, not per row; measured 1.6 ms per file vs 2.3-2.8 ms for Arrow's
    dataset writer). On a local
    lake files are written in place as ``*.parquet.tmp`` (invisible to ``*.parquet`` globs),
    flushed with one ``sync``, then renamed; on S3 they are written to local scratch and
    uploaded (an object appears only once complete).
    """
    table = con.execute(
        f"""
        SELECT {EVENT_COLUMNS.replace("batch_id", "? AS batch_id")}
        FROM new_rows ORDER BY event_type, date, hour, id
        """,
        [batch_id],
    ).fetch_arrow_table()
    table = table.cast(LAKE_SCHEMA)
    bounds = con.execute(
        "SELECT event_type, date, hour, count(*) FROM new_rows GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    written: list[tuple[Path, str]] = []
    suffix = "" if lake.is_s3 else ".tmp"
    offset = 0
    for event_type, date, hour, n in bounds:
        rel = f"{Partition(event_type, date, hour).rel}/{prefix}0.parquet"
        local = (scratch / rel) if lake.is_s3 else Path(lake.uri(rel))
        local = local.with_name(local.name + suffix)
        local.parent.mkdir(parents=True, exist_ok=True)
        # Statistics only where they prune (id lookups, time ranges): the rest is overhead.
        pq.write_table(
            table.slice(offset, n),
            local,
            compression="zstd",
            write_statistics=["id", "created_at"],
        )
        written.append((local, rel))
        offset += n
    if lake.is_s3:
        lake.upload(written)
    else:
        os.sync()
        for local, _ in written:
            os.replace(local, local.with_name(local.name.removesuffix(".tmp")))
    return len(written)


def read_events(lake: Lake, con: duckdb.DuckDBPyConnection, files: list[str] | None = None) -> str:
    """A FROM clause over the lake's events (or the given files), with the hive columns."""
    source = _sql_list(files) if files is not None else f"'{lake.events_glob}'"
    return f"read_parquet({source}, hive_partitioning = true, hive_types = {HIVE_TYPES})"
