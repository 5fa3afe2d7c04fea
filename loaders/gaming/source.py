"""The dlt source for game events.

Four resources land in ``gaming_raw``:

- ``events``: valid lines, appended, tagged with the batch that read them;
- ``quarantine``: invalid lines with raw text and reason, appended likewise;
- ``files``: one row per landed file (merge on ``source_file``), naming the batch that holds
  its current content, so a rewritten file replaces its old rows in staging, never adds to them;
- ``file_loads``: every read of every file (append), what the reconciliation check verifies.

Rows are keyed by (source_file, line_number) within a batch. A batch that crashed half-way is
either finished by dlt's pending-package recovery or read again under a new batch id; either
way ``files`` points at exactly one complete batch per file.

Files are read and validated lazily, a bounded number of files per batch, so a backlog of any
size streams through dlt with bounded memory: one parent resource yields parsed batches and
four transformers pick their table out of each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from loaders.gaming.landing import LandedFile
from loaders.gaming.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA, lines_table, validate

FILES_SCHEMA = pa.schema(
    [
        pa.field(name, type_, nullable=False)
        for name, type_ in [
            ("source_file", pa.string()),
            ("fingerprint", pa.string()),
            ("size_bytes", pa.int64()),
            ("batch_id", pa.string()),
            ("lines_read", pa.int64()),
            ("valid_rows", pa.int64()),
            ("quarantined_rows", pa.int64()),
            ("loaded_at", pa.timestamp("us", tz="UTC")),
        ]
    ]
)


def new_batch_id() -> str:
    """Sortable by time, unique across processes."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


@dataclass
class ParsedBatch:
    """Files read and validated together, ready to hand to dlt."""

    batch_id: str
    events: pa.Table
    quarantine: pa.Table
    files: pa.Table
    file_paths: list[str] = field(default_factory=list)

    @property
    def lines_read(self) -> int:
        return int(pc.sum(self.files["lines_read"]).as_py() or 0)

    @classmethod
    def empty(cls) -> ParsedBatch:
        """No rows, full schemas: lets dlt create the tables on an empty input location."""
        return cls(
            batch_id="",
            events=_with_batch(EVENTS_SCHEMA.empty_table(), ""),
            quarantine=_with_batch(QUARANTINE_SCHEMA.empty_table(), ""),
            files=FILES_SCHEMA.empty_table(),
        )


def _with_batch(table: pa.Table, batch_id: str) -> pa.Table:
    column = pa.array([batch_id] * table.num_rows, pa.string())
    return table.append_column(pa.field("batch_id", pa.string(), nullable=False), column)


def parse_batch(files: list[LandedFile], contents: dict[str, bytes]) -> ParsedBatch:
    """Validate ``contents`` (bytes per file path) into one batch."""
    batch_id = new_batch_id()
    lines = lines_table(contents)
    events, quarantine = validate(lines)
    read_per_file = _counts(lines)
    valid_per_file = _counts(events)
    bad_per_file = _counts(quarantine)
    now = datetime.now(UTC)
    rows = [
        {
            "source_file": f.path,
            "fingerprint": f.fingerprint,
            "size_bytes": len(contents[f.path]),
            "batch_id": batch_id,
            "lines_read": read_per_file.get(f.path, 0),
            "valid_rows": valid_per_file.get(f.path, 0),
            "quarantined_rows": bad_per_file.get(f.path, 0),
            "loaded_at": now,
        }
        for f in files
    ]
    return ParsedBatch(
        batch_id=batch_id,
        events=_with_batch(events, batch_id),
        quarantine=_with_batch(quarantine, batch_id),
        files=pa.Table.from_pylist(rows, schema=FILES_SCHEMA),
        file_paths=[f.path for f in files],
    )


def _counts(table: pa.Table) -> dict[str, int]:
    """Rows per source_file."""
    if not table.num_rows:
        return {}
    return {v["values"]: v["counts"] for v in pc.value_counts(table["source_file"]).to_pylist()}


@dlt.source(name="gaming", max_table_nesting=0)
def gaming_events_source(batches: Iterable[ParsedBatch] | None = None) -> Iterator:
    """Resources for a stream of parsed batches (none: typed empty tables, so the schema exists).

    The Arrow schemas are the column contract; dlt takes types and nullability from them.
    """

    @dlt.resource(name="parsed_batches", selected=False)
    def parsed_batches() -> Iterator[ParsedBatch]:
        produced = False
        for batch in batches or ():
            produced = True
            yield batch
        if not produced:
            yield ParsedBatch.empty()

    @dlt.transformer(data_from=parsed_batches, name="events", write_disposition="append")
    def events(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.events

    @dlt.transformer(data_from=parsed_batches, name="quarantine", write_disposition="append")
    def quarantine(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.quarantine

    @dlt.transformer(
        data_from=parsed_batches, name="files", write_disposition="merge", primary_key="source_file"
    )
    def files(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.files

    @dlt.transformer(data_from=parsed_batches, name="file_loads", write_disposition="append")
    def file_loads(batch: ParsedBatch) -> Iterator[pa.Table]:
        yield batch.files

    return parsed_batches, events, quarantine, files, file_loads
