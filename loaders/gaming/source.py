"""The dlt source for game events: the declared schema of ``gaming_raw`` and of its Dagster
assets. The loads themselves write these tables straight from DuckDB, one transaction per
batch (:mod:`loaders.gaming.warehouse_load`, about twice as fast as dlt's Arrow → Parquet →
load path on a backlog); the source still runs the same batches through dlt when asked
(``plan.source()``).

Four resources land in ``gaming_raw``:

- ``events``: valid lines, appended, tagged with the batch that read them;
- ``quarantine``: invalid lines with raw text and reason, appended likewise;
- ``files``: one row per landed file (merge on ``source_file``), naming the batch that holds
  its current content, so a rewritten file replaces its old rows in staging, never adds to them;
- ``file_loads``: every read of every file (append), what the reconciliation check verifies.

Rows are keyed by (source_file, line_number) within a batch; ``files`` points at exactly one
complete batch per file. Batches stream with bounded memory (:mod:`loaders.batched_load`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dlt

from loaders.batched_load import BatchSchemas, ParsedBatch, batch_resources
from loaders.gaming.parsing import EVENTS_SCHEMA, QUARANTINE_SCHEMA

SCHEMAS = BatchSchemas(events=EVENTS_SCHEMA, quarantine=QUARANTINE_SCHEMA)


@dlt.source(name="gaming", max_table_nesting=0)
def gaming_events_source(batches: Iterable[ParsedBatch] | None = None) -> Iterator:
    """Resources for a stream of parsed batches (none: typed empty tables, so the schema exists)."""
    return batch_resources(batches, SCHEMAS)
