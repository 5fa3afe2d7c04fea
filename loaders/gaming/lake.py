"""The gaming lake (``GAMING_LAKE_URL``, a folder or ``s3://bucket/prefix``)::

    events/batch_id=<batch>/part-0.parquet   every line a load batch read, classified
    events/batch_id=none/part-0.parquet      no line: the columns, so the glob is never empty
    compacted/part-<id>.parquet              many batches' files merged, ``batch_id`` a column
    compacted/part-none.parquet              no line, as above
    _batches/<batch>.json                    journal of a batch not (yet) committed
    _compaction/<id>.json                    journal of a compaction not (yet) finished

A file is the validation query's output (:mod:`loaders.gaming.parsing`): ``source_file``,
``line_number``, the four event fields and ``raw`` and ``reason`` (null on a valid line). The
warehouse view ``gaming_raw.events`` is its valid lines; the commit protocol (the warehouse
manifest names the committed batches) is :mod:`loaders.gaming.warehouse_load`'s.

Compaction keeps the file count bounded (the follow service commits a small batch every few
seconds): once ``GAMING_COMPACT_MIN_FILES`` small batch files are there, they are merged into
one compacted file, and once as many compacted files smaller than ``COMPACT_TARGET_BYTES``
are there, those are merged in turn. The
warehouse table ``gaming_raw.lake_compacted`` (batch → compacted file) is the switch: the view
reads a batch from its own folder until that table names it, and from the compacted file
after, so the swap is one warehouse transaction and a reader never sees a row twice or not at
all. A crash leaves a journal; the next load finishes or undoes it (:meth:`recover`).
"""

from __future__ import annotations

import hashlib
import os
from contextlib import suppress

import duckdb

from loaders.gaming.settings import GamingSettings
from loaders.lake_storage import LakeStorage, journal_rel
from tributary.duck import sql_list, sql_string

EVENTS_GLOB = "events/*/*.parquet"
COMPACTED_GLOB = "compacted/*.parquet"
COMPACT_TARGET_BYTES = 128 * 1024 * 1024  # a lake file at least this big is left alone
LINE_COLUMNS = 'source_file, line_number, reason, raw, "user", "timestamp", evtname, spend'
# batch → the compacted file holding its lines (the view's switch, see the module docstring)
COMPACTED_TABLE = """
CREATE TABLE IF NOT EXISTS gaming_raw.lake_compacted (
    batch_id VARCHAR PRIMARY KEY, file VARCHAR NOT NULL
)"""
# The columns of a lake file, in order (the validation query's output), typed, and no row.
_NO_LINES = (
    "SELECT NULL::VARCHAR AS source_file, NULL::BIGINT AS line_number, NULL::VARCHAR AS reason,"
    ' NULL::VARCHAR AS raw, NULL::VARCHAR AS "user", NULL::VARCHAR AS "timestamp",'
    " NULL::VARCHAR AS evtname, NULL::VARCHAR AS spend WHERE false"
)


def batch_rel(batch_id: str) -> str:
    return f"events/batch_id={batch_id}/part-0.parquet"


def compacted_rel(name: str) -> str:
    return f"compacted/part-{name}.parquet"


def _batch_lines(uris: list[str]) -> str:
    """The lines of batch files (or globs of them), ``batch_id`` from the folder name."""
    return (
        f"read_parquet({sql_list(uris)}, hive_partitioning = true, "
        "hive_types = {'batch_id': VARCHAR})"
    )


def _compacted_lines(uris: list[str]) -> str:
    """The lines of compacted files (or globs of them) that the warehouse reads from there:
    those of the batches ``lake_compacted`` names with that file (a crash may leave others)."""
    return (
        f"read_parquet({sql_list(uris)}, filename = true) AS c "
        "WHERE (parse_filename(c.filename), c.batch_id) IN "
        "(SELECT (file, batch_id) FROM gaming_raw.lake_compacted)"
    )


class GamingLake(LakeStorage):
    """The gaming lake (``GAMING_LAKE_URL`` by default)."""

    scratch_prefix = "gaming"

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or GamingSettings().lake_url)

    def _placeholder(self, con: duckdb.DuckDBPyConnection, rel: str, columns: str) -> None:
        """A file of no rows at ``rel`` if missing (read_parquet fails on an empty glob)."""
        if self.exists(rel):
            return
        with self.scratch("none") as scratch:
            local = scratch / "part-0.parquet"
            con.execute(f"COPY (SELECT {columns} FROM ({_NO_LINES})) TO {sql_string(str(local))}")
            self.publish(local, rel)

    def events_view(self, con: duckdb.DuckDBPyConnection) -> str:
        """The definition of ``gaming_raw.events``, the valid lines of every committed file:
        each batch from its own file until ``lake_compacted`` names it, from that compacted
        file after (``COMPACTED_TABLE`` must exist)."""
        self._placeholder(con, batch_rel("none"), "*")
        self._placeholder(con, compacted_rel("none"), "*, NULL::VARCHAR AS batch_id")
        columns = 'source_file, line_number, "user", "timestamp", evtname, spend, batch_id'
        return (
            f"SELECT {columns} FROM {_batch_lines([self.uri(EVENTS_GLOB)])} WHERE reason IS NULL "
            "AND batch_id NOT IN (SELECT batch_id FROM gaming_raw.lake_compacted) "
            f"UNION ALL SELECT {columns} FROM {_compacted_lines([self.uri(COMPACTED_GLOB)])} "
            "AND reason IS NULL"
        )

    def compact(
        self,
        con: duckdb.DuckDBPyConnection,
        min_files: int | None = None,
        target: int | None = None,
    ) -> int:
        """Merge the small committed batch files into one compacted file once there are
        ``min_files`` of them, else the small compacted files once there are as many; returns
        how many files were merged (0: not yet). Caller holds the warehouse lock and has run
        :meth:`recover`: every batch folder not journaled belongs to a committed batch."""
        settings = GamingSettings()
        min_files = settings.compact_min_files if min_files is None else min_files
        target = COMPACT_TARGET_BYTES if target is None else target
        journaled = {batch_rel(b) for b in self.journaled_batches()}
        files = self.sizes(EVENTS_GLOB) | self.sizes(COMPACTED_GLOB)
        skip = journaled | {batch_rel("none"), compacted_rel("none")}
        small = sorted(rel for rel, size in files.items() if size < target and rel not in skip)
        # Two tiers, so a row is rewritten about twice, not at every compaction: batch files
        # merge among themselves, and compacted files under the target among themselves.
        batches = [rel for rel in small if rel.startswith("events/")]
        compacted = [rel for rel in small if rel.startswith("compacted/")]
        min_files = max(min_files, 2)
        inputs = batches if len(batches) >= min_files else compacted
        if len(inputs) < min_files:
            return 0
        name = hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]
        output = compacted_rel(name)
        self.write_json(f"_compaction/{name}.json", {"inputs": inputs, "output": output})
        uris = [self.uri(rel) for rel in inputs]
        read = _batch_lines(uris) if inputs is batches else _compacted_lines(uris)
        lines = f"SELECT {LINE_COLUMNS}, batch_id FROM {read}"
        with self.scratch(f"compaction-{name}") as scratch:
            local = scratch / output.rsplit("/", 1)[-1]
            con.execute(
                f"COPY ({lines}) TO {sql_string(str(local))} (FORMAT parquet, COMPRESSION zstd)"
            )
            self.publish(local, output)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT OR REPLACE INTO gaming_raw.lake_compacted SELECT DISTINCT batch_id, $file "
                f"FROM read_parquet({sql_string(self.uri(output))})",
                {"file": output.rsplit("/", 1)[-1]},
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._finish_compaction(name, inputs)
        return len(inputs)

    def _finish_compaction(self, name: str, inputs: list[str]) -> None:
        """The swap committed: delete the merged files (folders too), then the journal."""
        self.delete_uris([self.uri(rel) for rel in inputs])
        if not self.is_s3:
            for rel in inputs:
                if rel.startswith("events/"):
                    with suppress(OSError):
                        os.rmdir(self._path(rel.rsplit("/", 1)[0]))
        self.delete(f"_compaction/{name}.json")

    def recover(self, con: duckdb.DuckDBPyConnection) -> int:
        """Finish or undo every compaction a crash left (a journal): when the warehouse names
        its output the swap committed, so the merged files go; otherwise the output goes.
        Returns how many journals it closed. Caller holds the warehouse lock."""
        names = [n.removesuffix(".json") for n in self.list_rel("_compaction", ".json")]
        if names:  # (a warehouse replaced since then has no such table: nothing committed)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS gaming_raw; {COMPACTED_TABLE}")
        for name in names:
            journal = self.read_json(f"_compaction/{name}.json")
            output = journal["output"]
            committed = con.execute(
                "SELECT count(*) FROM gaming_raw.lake_compacted WHERE file = ?",
                [output.rsplit("/", 1)[-1]],
            ).fetchone()[0]
            if committed:
                self._finish_compaction(name, journal["inputs"])
            else:
                self.delete(output)
                self.delete(f"_compaction/{name}.json")
        return len(names)

    def drop_uncommitted(self, committed: set[str]) -> int:
        """Delete the files of journaled batches that no load record names, and the journals
        of committed ones (a crash between commit and journal deletion). Caller holds the
        warehouse lock."""
        journaled = self.journaled_batches()
        for batch_id in journaled:
            if batch_id in committed:
                self.delete(journal_rel(batch_id))
        return self.drop_batches([b for b in journaled if b not in committed])
