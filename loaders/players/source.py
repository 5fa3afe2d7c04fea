"""The dlt source for player events.

Five resources, the first four as in the gaming domain
(:func:`loaders.batched_load.batch_resources`), the last four landing in ``players_raw``:

- ``events``: structurally valid lines (JSON objects) with their raw text, tagged with the
  batch that read them, written to the players lake (:mod:`loaders.players.lake`) as dlt
  extracts each batch (dlt itself gets no rows: the lake is the table);
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
from loaders.players.lake import PlayersLake
from loaders.players.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA, TIMEZONES_SCHEMA

SCHEMAS = BatchSchemas(events=EVENTS_SCHEMA, quarantine=QUARANTINE_SCHEMA)


@dlt.source(name="players", max_table_nesting=0)
def players_events_source(
    batches: Iterable[ParsedBatch] | None = None,
    timezones: pa.Table | None = None,
    lake: PlayersLake | None = None,
) -> Iterator:
    """Resources for a stream of parsed batches and the current time-zone table (none: typed
    empty tables, so the schema exists); the valid lines land in ``lake`` (default: the
    configured players lake)."""
    zones = timezones if timezones is not None else TIMEZONES_SCHEMA.empty_table()
    target: list[PlayersLake] = [lake] if lake is not None else []

    def write(batch: ParsedBatch) -> list[str]:
        if not target:  # created on first use: a bare source (the schema) touches no lake
            target.append(PlayersLake())
        return target[0].write_batch(batch.batch_id, batch.events)

    @dlt.resource(name="timezones", write_disposition="replace")
    def timezones_resource() -> Iterator[pa.Table]:
        yield zones

    return [*batch_resources(batches, SCHEMAS, rows_writer=write), timezones_resource]
