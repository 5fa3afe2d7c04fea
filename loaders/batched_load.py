"""Streaming loads of landed files in bounded batches, shared by the file-based domains.

A load is planned (list the landing location, diff against the manifest ``<dataset>.files``)
and then read lazily: :meth:`LoadPlan.batches` reads and validates a bounded group of files at
a time, so a backlog of any size streams through dlt with bounded memory. The dlt side is
:func:`batch_resources`: one hidden parent resource yields parsed batches, and four
transformers pick their table out of each (``events`` or the domain's name for its rows,
``quarantine``, ``files``, ``file_loads``; see :mod:`loaders.incremental_files` for what each
holds).

A domain supplies its parser (usually :func:`validating_parser`: lines → valid rows,
quarantined rows) and its schemas.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from loaders import incremental_files
from loaders.incremental_files import (
    FILES_SCHEMA,
    LandedFile,
    Landing,
    file_rows,
    lines_table,
    new_batch_id,
    with_batch,
)
from tributary.progress import Progress

# lines table → (valid rows, quarantined rows), both keyed by source_file + line_number
Validator = Callable[[pa.Table], tuple[pa.Table, pa.Table]]

DEFAULT_FILES_PER_BATCH = 200
# Validation holds roughly 15-20x a batch's bytes in memory: 64 MB keeps a batch near 1 GB.
DEFAULT_BYTES_PER_BATCH = 64 * 1024 * 1024


@dataclass(frozen=True)
class BatchSchemas:
    """The Arrow schemas of a domain's valid and quarantined rows (before the batch column)
    and of its manifest rows."""

    events: pa.Schema
    quarantine: pa.Schema
    files: pa.Schema = FILES_SCHEMA


@dataclass
class ParsedBatch:
    """Files read and validated together, ready to hand to dlt."""

    batch_id: str
    events: pa.Table
    quarantine: pa.Table
    files: pa.Table
    file_paths: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, schemas: BatchSchemas) -> ParsedBatch:
        """No rows, full schemas: lets dlt create the tables on an empty input location."""
        return cls(
            batch_id="",
            events=with_batch(schemas.events.empty_table(), ""),
            quarantine=with_batch(schemas.quarantine.empty_table(), ""),
            files=schemas.files.empty_table(),
        )


def parse_batch(
    files: list[LandedFile], contents: dict[str, bytes], validate: Validator
) -> ParsedBatch:
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


def group_files(
    files: list[LandedFile], max_files: int, max_bytes: int
) -> Iterator[list[LandedFile]]:
    """Consecutive groups of at most ``max_files`` files and (unless one file alone is
    larger) at most ``max_bytes`` bytes, in listing order."""
    group: list[LandedFile] = []
    size = 0
    for f in files:
        if group and (len(group) >= max_files or size + f.size > max_bytes):
            yield group
            group, size = [], 0
        group.append(f)
        size += f.size
    if group:
        yield group


# (landing, files, their bytes) → one parsed batch
Parser = Callable[[Landing, list[LandedFile], dict[str, bytes]], ParsedBatch]


def validating_parser(validate: Validator) -> Parser:
    """The parser of a domain whose files are JSON lines checked by ``validate``."""
    return lambda _landing, files, contents: parse_batch(files, contents, validate)


@dataclass
class LoadPlan:
    """What one load will read; ``batches()`` reads and parses lazily, counting as it goes
    (``read_column`` of the manifest rows counts what was read: lines, or records) and
    calling ``on_batch`` with the files and rows of each batch (progress)."""

    landing: Landing
    pending: list[LandedFile]
    known_files: int
    rewritten: list[str]
    listed: int
    parse: Parser
    make_source: Callable[[Iterable[ParsedBatch]], object]
    files_per_batch: int = DEFAULT_FILES_PER_BATCH
    bytes_per_batch: int = DEFAULT_BYTES_PER_BATCH
    read_column: str = "lines_read"
    on_batch: Callable[[int, int], None] | None = None  # (files, rows) of each batch
    batch_ids: list[str] = field(default_factory=list)
    lines_read: int = 0
    valid: int = 0
    quarantined: int = 0

    @property
    def empty(self) -> bool:
        return not self.pending

    def batches(self) -> Iterator[ParsedBatch]:
        for chunk in group_files(self.pending, self.files_per_batch, self.bytes_per_batch):
            batch = self.parse(self.landing, chunk, self.landing.read(chunk))
            self.record(batch)
            yield batch

    def record(
        self, batch: ParsedBatch, valid: int | None = None, quarantined: int | None = None
    ) -> None:
        """Count a batch read (``valid`` / ``quarantined``: when its row tables were not kept,
        e.g. a domain that writes them straight into the warehouse) and report progress."""
        valid = batch.events.num_rows if valid is None else valid
        quarantined = batch.quarantine.num_rows if quarantined is None else quarantined
        self.batch_ids.append(batch.batch_id)
        self.lines_read += int(pc.sum(batch.files[self.read_column]).as_py() or 0)
        self.valid += valid
        self.quarantined += quarantined
        if self.on_batch:
            self.on_batch(len(batch.file_paths), valid + quarantined)

    def source(self):
        """The dlt source that streams this plan's batches."""
        return self.make_source(self.batches())

    @contextmanager
    def progress(self, label: str, enabled: bool | None = None) -> Iterator[Progress]:
        """Show files done, rows (valid + quarantined) and rows/s as the batches are read, on
        a terminal only (``None``: when stderr is a TTY)."""
        with Progress(label, len(self.pending), enabled=enabled) as shown:
            self.on_batch = shown.advance
            try:
                yield shown
            finally:
                self.on_batch = None


def plan_load(
    landing: Landing,
    dataset: str,
    *,
    parse: Parser,
    make_source: Callable[[Iterable[ParsedBatch]], object],
    max_files: int | None = None,
    **options,
) -> LoadPlan:
    """List and diff against the manifest; files are read when the plan's source is extracted
    (``options``: the batch bounds and ``read_column`` of :class:`LoadPlan`). Caller holds
    the warehouse lock until the load is done."""
    listed = landing.list()
    manifest = incremental_files.loaded_manifest(dataset)
    pending = incremental_files.pending_files(listed, manifest)
    if max_files is not None:
        pending = pending[:max_files]
    rewritten = [f.path for f in pending if f.path in manifest]
    return LoadPlan(
        landing=landing,
        pending=pending,
        known_files=len(manifest),
        rewritten=rewritten,
        listed=len(listed),
        parse=parse,
        make_source=make_source,
        **options,
    )


def batch_resources(
    batches: Iterable[ParsedBatch] | None,
    schemas: BatchSchemas,
    rows_table: str = "events",
    rows_writer: Callable[[ParsedBatch], object] | None = None,
) -> list:
    """The dlt resources of a stream of parsed batches (none: typed empty tables, so the
    schema exists): ``rows_table`` (the valid rows), ``quarantine``, ``files`` (merged on
    ``source_file``) and ``file_loads``. The Arrow schemas are the column contract: dlt takes
    types and nullability from them.

    ``rows_writer``: the valid rows go elsewhere (a lake): the ``rows_table`` resource calls it
    with each batch while dlt extracts, before dlt loads the batch's manifest rows, and gives
    dlt no rows."""

    @dlt.resource(name="parsed_batches", selected=False)
    def parsed_batches() -> Iterator[ParsedBatch]:
        produced = False
        for batch in batches or ():
            produced = True
            yield batch
        if not produced:
            yield ParsedBatch.empty(schemas)

    @dlt.transformer(data_from=parsed_batches, name=rows_table, write_disposition="append")
    def events(batch: ParsedBatch) -> Iterator[pa.Table]:
        if rows_writer is None:
            yield batch.events
        elif batch.batch_id:
            rows_writer(batch)

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

    return [parsed_batches, events, quarantine, files, file_loads]


@dataclass
class LoadReport:
    batch_ids: list[str]
    files: int
    rewritten: int
    lines_read: int
    valid: int
    quarantined: int
    seconds: float


def report(plan: LoadPlan, started: float) -> LoadReport:
    """What a finished load read, for logs and the loaders' command lines."""
    return LoadReport(
        batch_ids=list(plan.batch_ids),
        files=len(plan.pending),
        rewritten=len(plan.rewritten),
        lines_read=plan.lines_read,
        valid=plan.valid,
        quarantined=plan.quarantined,
        seconds=round(time.perf_counter() - started, 3),
    )
