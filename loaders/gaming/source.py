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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from loaders.gaming.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA, validate
from loaders.incremental_files import (
    FILES_SCHEMA,
    LandedFile,
    file_rows,
    lines_table,
    new_batch_id,
    with_batch,
)


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
            events=with_batch(EVENTS_SCHEMA.empty_table(), ""),
            quarantine=with_batch(QUARANTINE_SCHEMA.empty_table(), ""),
            files=FILES_SCHEMA.empty_table(),
        )


def parse_batch(files: list[LandedFile], contents: dict[str, bytes]) -> ParsedBatch:
    """Validate ``contents`` (bytes per file path) into one batch."""
    batch_id = new_batch_id()
    lines = lines_table(contents)
    events, quarantine = validate(lines)
    return ParsedBatch(
        batch_id=batch_id,
        events=with_batch(events, batch_id),
        quarantine=with_batch(quarantine, batch_id),
        files=file_rows(files, contents, batch_id, lines, events, quarantine),
        file_paths=[f.path for f in files],
    )


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
