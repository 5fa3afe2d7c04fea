"""The gaming lake (``GAMING_LAKE_URL``, a folder or ``s3://bucket/prefix``)::

    events/batch_id=<batch>/part-0.parquet   every line a load batch read, classified
    events/batch_id=none/part-0.parquet      no line: the columns, so the glob is never empty
    _batches/<batch>.json                    journal of a batch not (yet) committed

A file is the validation query's output (:mod:`loaders.gaming.parsing`): ``source_file``,
``line_number``, the four event fields and ``raw`` and ``reason`` (null on a valid line). The
warehouse view ``gaming_raw.events`` is its valid lines; the commit protocol (the warehouse
manifest names the committed batches) is :mod:`loaders.gaming.warehouse_load`'s.
"""

from __future__ import annotations

import duckdb

from loaders.gaming.settings import GamingSettings
from loaders.lake_storage import LakeStorage, journal_rel

EVENTS_GLOB = "events/*/*.parquet"
# The columns of a lake file, in order (the validation query's output), typed, and no row.
_NO_LINES = (
    "SELECT NULL::VARCHAR AS source_file, NULL::BIGINT AS line_number, NULL::VARCHAR AS reason,"
    ' NULL::VARCHAR AS raw, NULL::VARCHAR AS "user", NULL::VARCHAR AS "timestamp",'
    " NULL::VARCHAR AS evtname, NULL::VARCHAR AS spend WHERE false"
)


def batch_rel(batch_id: str) -> str:
    return f"events/batch_id={batch_id}/part-0.parquet"


class GamingLake(LakeStorage):
    """The gaming lake (``GAMING_LAKE_URL`` by default)."""

    scratch_prefix = "gaming"

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or GamingSettings().lake_url)

    def events_view(self, con: duckdb.DuckDBPyConnection) -> str:
        """The definition of ``gaming_raw.events``, the valid lines of every file; first a file
        of no rows is put in the lake if missing (read_parquet fails on an empty glob)."""
        if not self.exists(batch_rel("none")):
            with self.scratch("none") as scratch:
                local = scratch / "part-0.parquet"
                path = str(local).replace("'", "''")
                con.execute(f"COPY ({_NO_LINES}) TO '{path}' (FORMAT parquet)")
                self.publish(local, batch_rel("none"))
        glob = self.uri(EVENTS_GLOB).replace("'", "''")
        return (
            'SELECT source_file, line_number, "user", "timestamp", evtname, spend, batch_id '
            f"FROM read_parquet('{glob}', hive_partitioning = true, "
            "hive_types = {'batch_id': VARCHAR}) WHERE reason IS NULL"
        )

    def drop_uncommitted(self, committed: set[str]) -> int:
        """Delete the files of journaled batches that no load record names, and the journals
        of committed ones (a crash between commit and journal deletion). Caller holds the
        warehouse lock."""
        journaled = self.journaled_batches()
        for batch_id in journaled:
            if batch_id in committed:
                self.delete(journal_rel(batch_id))
        return self.drop_batches([b for b in journaled if b not in committed])
