"""Reconciliation of committed batches against the lake.

For every batch: read = landed + duplicates + quarantined + out_of_scope (from its commit
record), and the lake really holds ``landed`` rows tagged with the batch (in the partitions
the record names; compaction keeps the ``batch_id`` column) and ``quarantined`` quarantine rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb

from loaders.events.commit import batch_rel, quarantine_rel
from loaders.events.lake import Lake, Partition
from tributary.duck import sql_list


@dataclass
class Reconciliation:
    batches: int = 0
    read: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    out_of_scope: int = 0
    landed_in_lake: int = 0
    quarantined_in_lake: int = 0
    unbalanced_batches: list[str] = field(default_factory=list)
    mismatched_batches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.unbalanced_batches and not self.mismatched_batches

    def metadata(self) -> dict:
        out = asdict(self)
        out["unbalanced_batches"] = ", ".join(self.unbalanced_batches[:20])
        out["mismatched_batches"] = ", ".join(self.mismatched_batches[:20])
        return out


def batch_records(lake: Lake, batch_ids: list[str] | None = None) -> list[dict]:
    names = (
        [f"{b}.json" for b in batch_ids]
        if batch_ids is not None
        else lake.list_rel("_batches", ".json")
    )
    return lake.read_many_json([f"_batches/{n}" for n in names])


def reconcile(
    lake: Lake, con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None
) -> Reconciliation:
    """Check the given batches (None: every committed batch)."""
    result = Reconciliation()
    records = batch_records(lake, batch_ids)
    if batch_ids is not None:
        missing = set(batch_ids) - {r["batch_id"] for r in records}
        result.mismatched_batches += sorted(f"{b} (no commit record)" for b in missing)
    partitions = sorted({Partition(*p) for r in records for p in r["partitions"]})
    files = [f.uri for fs in lake.partition_files(partitions).values() for f in fs]
    in_lake: dict[str, int] = {}
    ids = [r["batch_id"] for r in records]
    if files and ids:
        in_lake = dict(
            con.execute(
                f"SELECT batch_id, count(*) FROM read_parquet({sql_list(files)}, "
                "hive_partitioning = false) WHERE list_contains(?, batch_id) GROUP BY ALL",
                [ids],
            ).fetchall()
        )
    quarantine_files = [
        lake.uri(quarantine_rel(r["batch_id"])) for r in records if r["quarantined"] > 0
    ]
    in_quarantine: dict[str, int] = {}
    if quarantine_files:
        in_quarantine = dict(
            con.execute(
                f"SELECT batch_id, count(*) FROM read_parquet({sql_list(quarantine_files)}) "
                "GROUP BY ALL"
            ).fetchall()
        )
    for r in records:
        result.batches += 1
        result.read += r["read"]
        result.landed += r["landed"]
        result.duplicates += r["duplicates"]
        result.quarantined += r["quarantined"]
        result.out_of_scope += r["out_of_scope"]
        landed = in_lake.get(r["batch_id"], 0)
        quarantined = in_quarantine.get(r["batch_id"], 0)
        result.landed_in_lake += landed
        result.quarantined_in_lake += quarantined
        if r["read"] != r["landed"] + r["duplicates"] + r["quarantined"] + r["out_of_scope"]:
            result.unbalanced_batches.append(r["batch_id"])
        if landed != r["landed"] or quarantined != r["quarantined"]:
            result.mismatched_batches.append(r["batch_id"])
    return result


__all__ = ["Reconciliation", "batch_records", "batch_rel", "reconcile"]
