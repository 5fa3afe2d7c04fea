"""The dlt source for player events.

Five resources land in ``players_raw``, the first four exactly as in the gaming domain
(:func:`loaders.batched_load.batch_resources`):

- ``events``: structurally valid lines (JSON objects) with their raw text, appended, tagged
  with the batch that read them;
- ``quarantine``: lines that are not JSON objects, with raw text and reason, appended likewise;
- ``files``: one row per landed file (merge on ``source_file``) naming the batch that holds its
  current content, so a rewritten file replaces its old rows downstream instead of adding to them;
- ``file_loads``: every read of every file (append), what the reconciliation check verifies;
- ``timezones``: the country → time-zone file, replaced on every load.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dlt
import pyarrow as pa

from loaders.batched_load import BatchSchemas, ParsedBatch, batch_resources
from loaders.players.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA, TIMEZONES_SCHEMA

SCHEMAS = BatchSchemas(events=EVENTS_SCHEMA, quarantine=QUARANTINE_SCHEMA)


@dlt.source(name="players", max_table_nesting=0)
def players_events_source(
    batches: Iterable[ParsedBatch] | None = None, timezones: pa.Table | None = None
) -> Iterator:
    """Resources for a stream of parsed batches and the current time-zone table (none: typed
    empty tables, so the schema exists)."""
    zones = timezones if timezones is not None else TIMEZONES_SCHEMA.empty_table()

    @dlt.resource(name="timezones", write_disposition="replace")
    def timezones_resource() -> Iterator[pa.Table]:
        yield zones

    return [*batch_resources(batches, SCHEMAS), timezones_resource]
