"""The players lake: the structurally valid lines of every load as hive-partitioned Parquet.

Layout under ``PLAYERS_LAKE_URL`` (a folder or ``s3://bucket/prefix``)::

    events/event_date=YYYY-MM-DD/batch_id=<batch>/part-0.parquet   valid lines of one batch
    _batches/<batch>.json                                          the batch's journal

``event_date`` is the UTC day of the line's ``event_timestamp`` when it is a JSON integer of a
plausible range, else ``__HIVE_DEFAULT_PARTITION__`` (Hive's null; such lines are quarantined
by dbt anyway). A file holds ``source_file``, ``line_number`` and ``raw`` (the line's text);
the partition values live in the path. DuckDB reads the lake with a ``read_parquet`` glob and
prunes the files of other batches by path; Spark reads it as an external table.

Exactly once, with the warehouse manifest as the commit: the lake files are written while dlt
extracts a batch, and a line counts only once ``players_raw.files`` / ``file_loads`` name its
batch (dlt's load of the manifest). dbt joins the lake with the manifest, so a batch whose load
never committed is invisible. Its journal, written before its files, lists them: the next load
deletes the files of every journaled batch that no load record names (when dlt has no
pending package that could still commit it). A rewritten file is a new batch; the previous
batch stays (incremental builds read the rows it replaces).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.lake_storage import LakeStorage, configure_s3, journal_rel, value_runs
from loaders.players.settings import PlayersSettings
from tributary.duck import sql_list

NO_DATE = "__HIVE_DEFAULT_PARTITION__"
EVENTS_GLOB = "events/*/*/*.parquet"

# What a lake file holds (the partition columns are in its path).
LAKE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
    ]
)


def partition_rel(event_date: str, batch_id: str) -> str:
    return f"events/event_date={event_date}/batch_id={batch_id}"


class PlayersLake(LakeStorage):
    """The players lake (``PLAYERS_LAKE_URL`` by default)."""

    scratch_prefix = "players"

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or PlayersSettings().lake_url)

    @property
    def events_glob(self) -> str:
        return self.uri(EVENTS_GLOB)

    def write_batch(self, batch_id: str, events: pa.Table) -> list[str]:
        """Land one batch's valid lines (with an ``event_date`` column): journal first, then one
        file per day; returns the files' lake paths."""
        if not events.num_rows:
            return []
        dates = pc.fill_null(events["event_date"], NO_DATE)
        table = events.set_column(events.schema.get_field_index("event_date"), "event_date", dates)
        table = table.sort_by(
            [
                ("event_date", "ascending"),
                ("source_file", "ascending"),
                ("line_number", "ascending"),
            ]
        )
        runs = [
            (f"{partition_rel(day, batch_id)}/part-0.parquet", n)
            for day, n in value_runs(table["event_date"])
        ]
        self.write_json(
            journal_rel(batch_id), {"batch_id": batch_id, "files": [r for r, _ in runs]}
        )
        with self.scratch(batch_id) as scratch:
            return self.write_slices(
                table.select(LAKE_SCHEMA.names).cast(LAKE_SCHEMA),
                runs,
                scratch,
                statistics=["line_number"],
            )

    def landed_rows(
        self, con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None
    ) -> str:
        """A DuckDB relation (``batch_id``, ``source_file``) of the rows in the lake of
        ``batch_ids`` (None: every journaled batch): the files their journals list and that
        exist, read in place (``source_file`` only; ``batch_id`` from the path). The ``landed``
        rows of :func:`loaders.incremental_files.reconcile`; S3 set up in ``con`` when needed."""
        files = self.batch_files(self.journaled_batches() if batch_ids is None else batch_ids)
        uris = [self.uri(rel) for rels in files.values() for rel in rels if self.exists(rel)]
        if not uris:
            return "(SELECT NULL::VARCHAR AS batch_id, NULL::VARCHAR AS source_file LIMIT 0)"
        if self.is_s3:
            configure_s3(con)
        return (
            f"(SELECT batch_id, source_file FROM read_parquet({sql_list(uris)}, "
            "hive_partitioning = true,"
            " hive_types = {'event_date': VARCHAR, 'batch_id': VARCHAR}))"
        )
