"""The dlt source for player events.

Five resources land in ``players_raw``, the first four exactly as in the gaming domain:

- ``events``: structurally valid lines (JSON objects) with their raw text, appended, tagged
  with the batch that read them;
- ``quarantine``: lines that are not JSON objects, with raw text and reason, appended likewise;
- ``files``: one row per landed file (merge on ``source_file``) naming the batch that holds its
  current content, so a rewritten file replaces its old rows downstream instead of adding to them;
- ``file_loads``: every read of every file (append), what the reconciliation check verifies;
- ``timezones``: the country → time-zone file, replaced on every load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from loaders.incremental_files import FILES_SCHEMA, file_rows, new_batch_id, with_batch
from loaders.players.landing import LandedFile
from loaders.players.parsing import (
    EVENTS_SCHEMA,
    QUARANTINE_SCHEMA,
    TIMEZONES_SCHEMA,
    lines_table,
    validate,
)


@dataclass
class ParsedBatch:
    """Files read and validated together, plus the current time-zone table."""

    batch_id: str
    events: pa.Table
    quarantine: pa.Table
    files: pa.Table
    timezones: pa.Table
    file_paths: list[str] = field(default_factory=list)

    @property
    def lines_read(self) -> int:
        return int(pc.sum(self.files["lines_read"]).as_py() or 0)

    @classmethod
    def empty(cls, timezones: pa.Table | None = None) -> ParsedBatch:
        return cls(
            batch_id="",
            events=EVENTS_SCHEMA.empty_table(),
            quarantine=QUARANTINE_SCHEMA.empty_table(),
            files=FILES_SCHEMA.empty_table(),
            timezones=timezones if timezones is not None else TIMEZONES_SCHEMA.empty_table(),
        )


def parse_batch(
    files: list[LandedFile], contents: dict[str, bytes], timezones: pa.Table
) -> ParsedBatch:
    """Split ``contents`` (bytes per file path) into one batch."""
    batch_id = new_batch_id()
    lines = lines_table(contents)
    events, quarantine = validate(lines)
    return ParsedBatch(
        batch_id=batch_id,
        events=with_batch(events, batch_id),
        quarantine=with_batch(quarantine, batch_id),
        files=file_rows(files, contents, batch_id, lines, events, quarantine),
        timezones=timezones,
        file_paths=[f.path for f in files],
    )


@dlt.source(name="players", max_table_nesting=0)
def players_events_source(batch: ParsedBatch | None = None) -> Iterator:
    """Resources for one parsed batch (empty batch: typed empty tables, so the schema exists)."""
    batch = batch or ParsedBatch.empty()
    if not batch.batch_id:
        events = with_batch(batch.events, "")
        quarantine = with_batch(batch.quarantine, "")
    else:
        events, quarantine = batch.events, batch.quarantine

    @dlt.resource(name="events", write_disposition="append")
    def events_resource() -> Iterator[pa.Table]:
        yield events

    @dlt.resource(name="quarantine", write_disposition="append")
    def quarantine_resource() -> Iterator[pa.Table]:
        yield quarantine

    @dlt.resource(name="files", write_disposition="merge", primary_key="source_file")
    def files_resource() -> Iterator[pa.Table]:
        yield batch.files

    @dlt.resource(name="file_loads", write_disposition="append")
    def file_loads_resource() -> Iterator[pa.Table]:
        yield batch.files

    @dlt.resource(name="timezones", write_disposition="replace")
    def timezones_resource() -> Iterator[pa.Table]:
        yield batch.timezones

    return (
        events_resource,
        quarantine_resource,
        files_resource,
        file_loads_resource,
        timezones_resource,
    )
