"""The dlt source for player events.

Three resources of :func:`loaders.batched_load.batch_resources`:

- ``events``: as dlt extracts each batch, its structurally valid lines (JSON objects, raw
  text kept), its quarantine (lines that are not JSON objects, raw text and reason) and its
  load record land in the players lake (:mod:`loaders.players.lake`); dlt itself gets no rows:
  the lake holds them;
- ``files`` (in ``players_raw``): one row per landed file (merge on ``source_file``) naming the
  batch that holds its current content: what the next load compares the landing with;
- ``file_loads``: every read of every file (append), what the reconciliation check verifies.

The time zones land in the lake when the load is planned (:func:`loaders.players.pipeline.plan_load`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dlt

from loaders.batched_load import BatchSchemas, ParsedBatch, batch_resources
from loaders.players.lake import PlayersLake
from loaders.players.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA

SCHEMAS = BatchSchemas(events=EVENTS_SCHEMA, quarantine=QUARANTINE_SCHEMA)


@dlt.source(name="players", max_table_nesting=0)
def players_events_source(
    batches: Iterable[ParsedBatch] | None = None, lake: PlayersLake | None = None
) -> Iterator:
    """Resources for a stream of parsed batches (none: typed empty tables, so the schema
    exists); the batches' rows land in ``lake`` (default: the configured players lake)."""
    target: list[PlayersLake] = [lake] if lake is not None else []

    def write(batch: ParsedBatch) -> list[str]:
        if not target:  # created on first use: a bare source (the schema) touches no lake
            target.append(PlayersLake())
        return target[0].write_batch(batch.batch_id, batch.events, batch.quarantine, batch.files)

    resources = batch_resources(batches, SCHEMAS, rows_writer=write)
    return [r for r in resources if r.name != "quarantine"]  # in the lake, with the events
