"""The lake's second layout, ordered by user (scenario 2): every event with an
``attributes.user_id``, bucketed by user and sorted by (user, time), so one user's history is
a few row groups of one bucket instead of a scan of every type/hour partition.

Layout under ``EVENTS_LAKE_URL`` (local folder or S3, next to ``events/``)::

    by_user/bucket=NNN/delta-<apply>.parquet   rows of the batches one run applied
    by_user/bucket=NNN/base-<id>.parquet       a compacted bucket
    by_user/_manifest.json                     the commit point: files per bucket, batches applied

- **Rows**: ``user_id, created_at, id, type, attributes, meta`` (attributes and meta as the
  lake holds them: the JSON text as landed), sorted by ``user_id, created_at DESC, id DESC``
  in every file, in row groups of ``EVENTS_BY_USER_ROW_GROUP_ROWS`` rows: a row group's
  min/max ``user_id`` covers a narrow range, so a reader filtering on one user skips all but
  a few row groups of the file and reads only its footer otherwise.
- **Bucket** = first 32 bits of md5(user_id) mod ``buckets`` (fixed when the layout is
  created; :func:`bucket_of` and :data:`BUCKET_SQL` agree).
- **Incremental** (:func:`maintain`, run by the Dagster asset after each lake commit): the
  batches whose commit record (``_batches/``) the manifest does not list are read from the
  partitions they wrote (``WHERE batch_id IN …``), one delta file per touched bucket is
  written, then the manifest is replaced in one step (rename / one PUT) listing the new files
  and the applied batches. A run that dies before that leaves only unreferenced files, which
  the next run deletes; re-running with nothing pending changes nothing.
- **Compaction**: a bucket with more than ``EVENTS_BY_USER_COMPACT_MIN_FILES`` files is merged
  into one sorted base file in the same manifest update; replaced files stay readable for
  :data:`RETIRE_SECONDS` (readers holding the old manifest) and are deleted by a later run.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from loaders.events.lake import Lake, Partition, lake_lock
from loaders.events.settings import EventsSettings

ROOT = "by_user"
MANIFEST = f"{ROOT}/_manifest.json"
RETIRE_SECONDS = 120.0
ORDER = "user_id, created_at DESC, id DESC"
COLUMNS = "user_id, created_at, id, type, attributes, meta"


def bucket_of(user_id: str, buckets: int) -> int:
    """The bucket of a user (the same function as :data:`BUCKET_SQL`)."""
    return int(hashlib.md5(user_id.encode()).hexdigest()[:8], 16) % buckets


def bucket_sql(buckets: int) -> str:
    return f"(('0x' || left(md5(user_id), 8))::UBIGINT % {int(buckets)})::INTEGER"


@dataclass
class Manifest:
    """What readers see: the files of each bucket (``by_user/…`` paths relative to the lake)."""

    buckets: int
    files: dict[str, list[str]] = field(default_factory=dict)
    batches: list[str] = field(default_factory=list)
    retired: list[tuple[str, float]] = field(default_factory=list)
    version: int = 0

    def bucket_files(self, bucket: int) -> list[str]:
        return self.files.get(str(bucket), [])

    def record(self) -> dict:
        return {
            "buckets": self.buckets,
            "files": self.files,
            "batches": self.batches,
            "retired": [list(r) for r in self.retired],
            "version": self.version,
        }

    @classmethod
    def from_record(cls, record: dict) -> Manifest:
        return cls(
            buckets=int(record["buckets"]),
            files={k: list(v) for k, v in record.get("files", {}).items()},
            batches=list(record.get("batches", [])),
            retired=[(str(p), float(t)) for p, t in record.get("retired", [])],
            version=int(record.get("version", 0)),
        )


def read_manifest(lake: Lake) -> Manifest | None:
    try:
        return Manifest.from_record(lake.read_json(MANIFEST))
    except FileNotFoundError:
        return None


@dataclass
class Maintained:
    """What one :func:`maintain` run did (asset metadata)."""

    batches_applied: int = 0
    rows_applied: int = 0
    delta_files: int = 0
    buckets_compacted: int = 0
    files_deleted: int = 0
    seconds: float = 0.0
    version: int = 0


def _copy_sorted(con: duckdb.DuckDBPyConnection, select: str, target: Path, rows: int) -> None:
    con.execute(
        f"COPY ({select} ORDER BY {ORDER}) TO '{target}' "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(rows)})"
    )


def _apply(
    lake: Lake, con: duckdb.DuckDBPyConnection, m: Manifest, pending: list[dict], scratch: Path
) -> tuple[int, list[tuple[int, Path, str]]]:
    """Write the delta files of ``pending`` (commit records) into ``scratch``; returns the rows
    and (bucket, local file, lake path) of each file to publish."""
    partitions = sorted({Partition(*p) for r in pending for p in r.get("partitions", [])})
    files = [f.uri for fs in lake.partition_files(partitions).values() for f in fs]
    if not files:
        return 0, []
    settings = EventsSettings()
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE by_user_pending AS
        SELECT {bucket_sql(m.buckets)} AS bucket, {COLUMNS}
        FROM read_parquet($files)
        WHERE batch_id IN (SELECT unnest($batches)) AND user_id IS NOT NULL
        ORDER BY bucket
        """,
        {"files": files, "batches": [r["batch_id"] for r in pending]},
    )
    counts = con.execute(
        "SELECT bucket, count(*) FROM by_user_pending GROUP BY bucket ORDER BY bucket"
    ).fetchall()
    apply_id = uuid.uuid4().hex[:16]
    out: list[tuple[int, Path, str]] = []
    for bucket, _ in counts:
        local = scratch / f"delta-{bucket:03d}.parquet"
        _copy_sorted(
            con,
            f"SELECT {COLUMNS} FROM by_user_pending WHERE bucket = {int(bucket)}",
            local,
            settings.by_user_row_group_rows,
        )
        out.append((bucket, local, f"{ROOT}/bucket={bucket:03d}/delta-{apply_id}.parquet"))
    con.execute("DROP TABLE by_user_pending")
    return sum(n for _, n in counts), out


def _compact(
    lake: Lake, con: duckdb.DuckDBPyConnection, files: list[str], bucket: int, scratch: Path
) -> tuple[Path, str]:
    local = scratch / f"base-{bucket:03d}.parquet"
    uris = [lake.uri(f) for f in files]
    _copy_sorted(
        con,
        f"SELECT {COLUMNS} FROM read_parquet({uris!r})",
        local,
        EventsSettings().by_user_row_group_rows,
    )
    return local, f"{ROOT}/bucket={bucket:03d}/base-{uuid.uuid4().hex[:16]}.parquet"


def _publish(lake: Lake, pairs: list[tuple[Path, str]]) -> None:
    if lake.is_s3:
        lake.upload(pairs)
    else:
        for local, rel in pairs:
            lake.publish(local, rel)


def _collect_garbage(lake: Lake, m: Manifest, now: float) -> int:
    """Delete retired files past their grace period, and files no manifest lists nor retires
    (left by a run that died before its manifest update). Caller holds the lake lock."""
    keep = {f for fs in m.files.values() for f in fs}
    due = [p for p, t in m.retired if now - t >= RETIRE_SECONDS]
    m.retired = [(p, t) for p, t in m.retired if now - t < RETIRE_SECONDS]
    keep |= {p for p, _ in m.retired}
    try:
        found = lake.fs.find(f"{lake.root}/{ROOT}")
    except FileNotFoundError:
        found = []
    prefix = f"{lake.root}/"
    existing = {p[len(prefix) :] for p in found if p.endswith(".parquet")}
    doomed = sorted((existing - keep) | (set(due) & existing))
    lake.delete_uris([lake.uri(rel) for rel in doomed])
    return len(doomed)


def maintain(lake: Lake | None = None, lock_timeout: float | None = 600.0) -> Maintained:
    """Bring the user layout up to date with every committed batch of the lake, compact
    buckets with too many files, and publish the manifest. Idempotent."""
    started = time.perf_counter()
    lake = lake or Lake()
    settings = EventsSettings()
    result = Maintained()
    with lake_lock(timeout=lock_timeout):
        m = read_manifest(lake) or Manifest(buckets=settings.by_user_buckets)
        before = json.dumps(m.record(), sort_keys=True)
        now = time.time()
        result.files_deleted = _collect_garbage(lake, m, now)
        applied = set(m.batches)
        names = [n.removesuffix(".json") for n in lake.list_rel("_batches", ".json")]
        todo = [n for n in names if n not in applied]
        pending = sorted(
            lake.read_many_json([f"_batches/{n}.json" for n in todo]),
            key=lambda r: (r.get("committed_at", ""), r["batch_id"]),
        )
        con = lake.connect()
        try:
            with lake.scratch(f"by_user-{uuid.uuid4().hex[:8]}") as scratch:
                if pending:
                    rows, deltas = _apply(lake, con, m, pending, scratch)
                    _publish(lake, [(local, rel) for _, local, rel in deltas])
                    for bucket, _, rel in deltas:
                        m.files.setdefault(str(bucket), []).append(rel)
                    m.batches.extend(r["batch_id"] for r in pending)
                    result.batches_applied, result.rows_applied = len(pending), rows
                    result.delta_files = len(deltas)
                for bucket, files in sorted(m.files.items()):
                    if len(files) > settings.by_user_compact_min_files:
                        local, rel = _compact(lake, con, files, int(bucket), scratch)
                        _publish(lake, [(local, rel)])
                        m.retired.extend((f, now) for f in files)
                        m.files[bucket] = [rel]
                        result.buckets_compacted += 1
        finally:
            con.close()
        if json.dumps(m.record(), sort_keys=True) != before:
            m.version += 1
            lake.write_json(MANIFEST, m.record())
        result.version = m.version
    result.seconds = round(time.perf_counter() - started, 3)
    return result
