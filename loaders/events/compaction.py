"""Compaction: no partition keeps many small files.

Every landing batch writes at most one file per partition it touches, so a partition of an
hour that keeps receiving events (a stream's micro-batches, late files) accumulates files.
After each run, every partition the run touched that holds more than ``EVENTS_COMPACT_MIN_FILES``
files is rewritten into one file sorted by id (target size ``EVENTS_TARGET_FILE_BYTES``, 128 MiB: an
hour of one type at 1 B events/day is ≈ 140 k events ≈ 10-40 MB, so one file per partition;
a bigger partition is split into files of about the target size). ``python -m loaders.events
compact`` runs it over the whole lake.

Crash safety, by a journal ``_compaction/<id>.json`` written before anything changes:

1. journal: the input files and the output name;
2. write the output to scratch and publish it (rename / one PUT);
3. delete the inputs, then the journal.

:func:`recover` (run before every landing and compaction) finishes any journal left by a
crash: output published → delete the inputs still there; output missing → nothing changed.
Between steps 2 and 3 a reader could count a row twice (a window of one delete call per file,
or longer if the writer crashed there, until the next run recovers); the landing dedupe is not
affected (it anti-joins ids). Snapshot isolation for readers needs a table format with a
manifest (Iceberg, Delta, DuckLake) — see docs/events_lake.md.
"""

from __future__ import annotations

import hashlib
import math

import duckdb

from loaders.events.lake import Lake, LakeFile, Partition
from loaders.events.settings import EventsSettings
from tributary.duck import sql_list


def recover(lake: Lake) -> int:
    """Finish every compaction a crash left half done; returns how many journals it closed."""
    closed = 0
    for name in lake.list_rel("_compaction", ".json"):
        journal = lake.read_json(f"_compaction/{name}")
        if all(lake.exists(rel) for rel in journal["outputs"]):
            lake.delete_uris(journal["inputs"])
        else:
            for rel in journal["outputs"]:
                lake.delete(rel)
        lake.delete(f"_compaction/{name}")
        closed += 1
    return closed


def compact_partition(
    lake: Lake, con: duckdb.DuckDBPyConnection, partition: Partition, files: list[LakeFile]
) -> list[str]:
    """Rewrite ``files`` of one partition into about-target-size files; returns the outputs."""
    total = sum(f.size for f in files)
    pieces = max(1, math.ceil(total / EventsSettings().target_file_bytes))
    cid = hashlib.sha256("\n".join(f.uri for f in files).encode()).hexdigest()[:16]
    outputs = [f"{partition.rel}/part-c{cid}-{n}.parquet" for n in range(pieces)]
    lake.write_json(
        f"_compaction/{cid}.json",
        {"partition": partition.rel, "inputs": [f.uri for f in files], "outputs": outputs},
    )
    with lake.scratch(f"compact-{cid}") as scratch:
        source = f"read_parquet({sql_list([f.uri for f in files])}, hive_partitioning = false)"
        for n, rel in enumerate(outputs):
            local = scratch / f"{n}.parquet"
            where = f"WHERE hash(id) % {pieces} = {n}" if pieces > 1 else ""
            con.execute(
                f"COPY (SELECT * FROM {source} {where} ORDER BY id) TO '{local}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            lake.publish(local, rel)
    lake.delete_uris([f.uri for f in files])
    lake.delete(f"_compaction/{cid}.json")
    return outputs


def compact(
    lake: Lake,
    con: duckdb.DuckDBPyConnection,
    partitions: list[tuple] | None = None,
    min_files: int | None = None,
) -> dict[str, int]:
    """Compact the given partitions (None: the whole lake) that hold more than ``min_files``."""
    recover(lake)
    threshold = EventsSettings().compact_min_files if min_files is None else min_files
    wanted = None if partitions is None else [Partition(*p) for p in partitions]
    if wanted == []:
        return {"partitions_compacted": 0, "files_before": 0, "files_after": 0}
    listing = lake.partition_files(wanted)
    stats = {"partitions_compacted": 0, "files_before": 0, "files_after": 0}
    for partition, files in sorted(listing.items()):
        if len(files) <= threshold:
            continue
        outputs = compact_partition(lake, con, partition, files)
        stats["partitions_compacted"] += 1
        stats["files_before"] += len(files)
        stats["files_after"] += len(outputs)
    return stats
