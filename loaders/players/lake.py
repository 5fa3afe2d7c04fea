"""The players lake: every load's valid lines, quarantine and commit records, and the time
zones, as Parquet read in place by dbt on DuckDB (``read_parquet`` globs) and on Spark
(external tables).

Layout under ``PLAYERS_LAKE_URL`` (a folder or ``s3://bucket/prefix``)::

    events/event_date=YYYY-MM-DD/batch_id=<batch>/part-0.parquet   valid lines of one batch
    quarantine/part-<batch>.parquet     its lines that are not JSON objects (raw text, reason)
    loads/part-<batch>.parquet          its manifest rows: the batch's commit record, last
    timezones/timezones.parquet         country → time zone, replaced by every load
    _batches/<batch>.json               the batch's journal: the files it writes

``event_date`` is the UTC day of the line's ``event_timestamp`` when it is a JSON integer of a
plausible range, else ``__HIVE_DEFAULT_PARTITION__`` (Hive's null; such lines are quarantined
by dbt anyway). An events file holds ``source_file``, ``line_number`` and ``raw`` (the line's
text); the partition values live in the path. DuckDB prunes the files of other batches by
path; Spark reads the folders as external tables.

Exactly once, as in the commerce lake: a batch publishes its journal, its events and
quarantine files, then its load record (each file in one step: rename, or one S3 PUT), all
while dlt extracts it, before dlt loads the warehouse manifest (``players_raw.files`` /
``file_loads``: what is pending and what the reconciliation compares with the lake). dbt counts
a file's rows only from the batch its newest load record names, so a batch that crashed before
its record is invisible. The next load deletes (from its journal) every batch the warehouse
manifest does not name, record first, and reads its files again as a new batch. A rewritten
file is a new batch; the previous batch stays (incremental builds read the rows it replaces).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.lake_storage import LakeStorage, configure_s3, journal_rel, naive_utc, value_runs
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
    batch_tables = {
        "quarantine": "quarantine/part-{batch}.parquet",
        "loads": "loads/part-{batch}.parquet",
    }

    table_folders = ("events", "quarantine", "loads", "timezones")

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or PlayersSettings().lake_url)

    @property
    def events_glob(self) -> str:
        return self.uri(EVENTS_GLOB)

    def write_batch(
        self, batch_id: str, events: pa.Table, quarantine: pa.Table, loads: pa.Table
    ) -> list[str]:
        """Land one batch: journal first, then its valid lines (with an ``event_date`` column)
        one file per day, its quarantine, and its load record last (the commit, ``loaded_at``
        as UTC wall clock); returns the files' lake paths."""
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
        tail = [("loads", naive_utc(loads, "loaded_at"))]
        if quarantine.num_rows:
            tail.insert(0, ("quarantine", quarantine))
        tail_rels = [self.batch_tables[name].format(batch=batch_id) for name, _ in tail]
        self.write_json(
            journal_rel(batch_id),
            {"batch_id": batch_id, "files": [r for r, _ in runs] + tail_rels},
        )
        with self.scratch(batch_id) as scratch:
            written = self.write_slices(
                table.select(LAKE_SCHEMA.names).cast(LAKE_SCHEMA),
                runs,
                scratch,
                statistics=["line_number"],
            )
            self.publish_tables(scratch, list(zip(tail_rels, [t for _, t in tail], strict=True)))
        return written + tail_rels

    def write_timezones(self, timezones: pa.Table) -> None:
        """Replace the time-zone table (one file, published in one step)."""
        with self.scratch("timezones") as scratch:
            self.publish_tables(scratch, [("timezones/timezones.parquet", timezones)])

    def committed_batches(self) -> set[str]:
        """The batches whose load record (their commit) is in the lake."""
        names = self.list_rel("loads", ".parquet")
        return {n.removeprefix("part-").removesuffix(".parquet") for n in names}

    def landed_rows(
        self, con: duckdb.DuckDBPyConnection, batch_ids: list[str] | None = None
    ) -> str:
        """A DuckDB relation (``batch_id``, ``source_file``) of the valid lines in the lake of
        ``batch_ids`` (None: every journaled batch): the events files their journals list and
        that exist, read in place (``source_file`` only; ``batch_id`` from the path). The
        ``landed`` rows of :func:`loaders.incremental_files.reconcile`; S3 set up in ``con``
        when needed."""
        files = self.batch_files(self.journaled_batches() if batch_ids is None else batch_ids)
        uris = [
            self.uri(rel)
            for rels in files.values()
            for rel in rels
            if rel.startswith("events/") and self.exists(rel)
        ]
        if not uris:
            return "(SELECT NULL::VARCHAR AS batch_id, NULL::VARCHAR AS source_file LIMIT 0)"
        if self.is_s3:
            configure_s3(con)
        return (
            f"(SELECT batch_id, source_file FROM read_parquet({sql_list(uris)}, "
            "hive_partitioning = true,"
            " hive_types = {'event_date': VARCHAR, 'batch_id': VARCHAR}))"
        )
