"""Incremental loading of landed JSON-lines files, shared by every file-based domain.

The pattern (see the gaming loader for the full story):

- list the landing location with a fingerprint per file (:class:`Landing`);
- diff against the manifest table ``<dataset>.files`` (:func:`loaded_manifest`): only new or
  rewritten files are read;
- split files into numbered lines (:func:`lines_table`), validate them in the domain's own
  parser, and tag every row with the batch that read it (:func:`with_batch`);
- record each read in ``files`` (current content, merge) and ``file_loads`` (history) with
  :func:`file_rows`; staging joins rows to the batch ``files`` names, so a rewritten file
  replaces its rows and a crashed batch is never seen half;
- :func:`reconcile` proves lines read = valid + quarantined, and that exactly those rows landed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fsspec.core import url_to_fs

from loaders.common import table_exists
from tributary import duck, warehouse
from tributary.settings import AwsSettings

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")

# ----------------------------------------------------------------------------- landing


@dataclass(frozen=True)
class LandedFile:
    """A file as listed: ``path`` is the key we store (URL form), ``fingerprint`` changes when
    the content is rewritten (ETag on object stores, size + mtime on file systems)."""

    path: str
    fingerprint: str
    size: int


def _filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    s3 = url.startswith(("s3://", "s3a://"))
    return url_to_fs(url, **(AwsSettings().fsspec_options() if s3 else {}))


def fingerprint(info: dict) -> str:
    """ETag + size where the store has one, else size + modification time."""
    etag = info.get("ETag") or info.get("etag")
    size = int(info.get("size") or 0)
    if etag:
        return f"etag:{str(etag).strip(chr(34))}:{size}"
    mtime = info.get("mtime") or info.get("LastModified") or info.get("created") or ""
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    return f"stat:{size}:{mtime}"


class Landing:
    """A landing location (any fsspec URL: folder, ``s3://bucket/prefix``, ``memory://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, self.root = _filesystem(self.url)
        self.protocol = (
            self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        )

    def _key(self, path: str) -> str:
        return path if self.protocol == "file" else f"{self.protocol}://{path}"

    def list(self) -> list[LandedFile]:
        """Event files in name order; names starting with ``.`` or ``_`` (in-progress or marker
        files) are skipped. A missing or empty location is simply empty."""
        try:
            found = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return []
        files = []
        for path, info in found.items():
            name = path.rsplit("/", 1)[-1]
            if info.get("type") == "directory" or name.startswith((".", "_")):
                continue
            if not name.endswith(EVENT_FILE_SUFFIXES):
                continue
            files.append(LandedFile(self._key(path), fingerprint(info), int(info.get("size") or 0)))
        files.sort(key=lambda f: f.path)
        return files

    def read(self, files: list[LandedFile]) -> dict[str, bytes]:
        """Bytes of each file (fetched concurrently on object stores)."""
        if not files:
            return {}
        paths = [self.fs._strip_protocol(f.path) for f in files]
        contents = self.fs.cat(paths, on_error="raise")
        if isinstance(contents, bytes):  # a single path comes back bare
            contents = {paths[0]: contents}
        return {f.path: contents[p] for f, p in zip(files, paths, strict=True)}


# ------------------------------------------------------------------------------- lines

LINES_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("raw", pa.string()),
        ("utf8_ok", pa.bool_()),
    ]
)
# The same with ``source_file`` dictionary-encoded: no string per line (0.3 s of CPU per 1M
# lines saved), read by DuckDB as VARCHAR.
DICT_LINES_SCHEMA = LINES_SCHEMA.set(
    0, pa.field("source_file", pa.dictionary(pa.int32(), pa.string()))
)


def split_lines(data: bytes) -> tuple[list[str], list[bool]]:
    """Lines of a JSON-lines file (``\\n`` or ``\\r\\n``); a final newline ends the last line.
    A line that is not valid UTF-8 is decoded with replacement characters and flagged."""
    if data.endswith(b"\n"):
        data = data[:-1]
    if not data:
        return [], []
    try:
        lines = data.decode("utf-8").split("\n")
        ok = [True] * len(lines)
    except UnicodeDecodeError:
        lines, ok = [], []
        for chunk in data.split(b"\n"):
            try:
                lines.append(chunk.decode("utf-8"))
                ok.append(True)
            except UnicodeDecodeError:
                lines.append(chunk.decode("utf-8", errors="replace"))
                ok.append(False)
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines, ok


def lines_table(contents: dict[str, bytes], dictionary: bool = False) -> pa.Table:
    """One row per line of every file (in ``contents`` order), numbered from 1 within its file;
    the same rows as :func:`split_lines` file by file. Files that are valid UTF-8 (nearly all)
    are split in Arrow, without a Python object per line; a file with an invalid line goes
    through :func:`split_lines`. ``dictionary``: in :data:`DICT_LINES_SCHEMA`."""
    schema = DICT_LINES_SCHEMA if dictionary else LINES_SCHEMA
    files = [(name, whole, whole.removesuffix(b"\n")) for name, whole in contents.items()]
    files = [file for file in files if file[2]]
    joined = b"\n".join(data for _, _, data in files)
    if _utf8(joined):  # nearly always: one check in Arrow, no Python string per file
        names, blobs = [name for name, _, _ in files], [data for _, _, data in files]
        return _split_in_arrow(names, blobs, schema, joined)
    segments: list[pa.Table] = []
    names: list[str] = []
    blobs: list[bytes] = []
    for source_file, whole, data in files:
        if not _utf8(data):
            segments.append(_split_in_arrow(names, blobs, schema))
            names, blobs = [], []
            segments.append(_split_in_python(source_file, whole).cast(schema))
            continue
        names.append(source_file)
        blobs.append(data)
    segments.append(_split_in_arrow(names, blobs, schema))
    return pa.concat_tables(segments).combine_chunks()


def _one_string(data: bytes, type_: pa.DataType) -> pa.Array:
    """``data`` as a one-element Arrow array of ``type_``, without a copy."""
    bounds = pa.py_buffer(np.array([0, len(data)], np.int64))
    return pa.Array.from_buffers(type_, 1, [None, bounds, pa.py_buffer(data)])


def _utf8(data: bytes) -> bool:
    """``data`` is valid UTF-8 (checked by Arrow, without making a Python string of it)."""
    try:
        _one_string(data, pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _split_in_arrow(
    names: list[str], blobs: list[bytes], schema: pa.Schema, joined: bytes | None = None
) -> pa.Table:
    """The lines of files known to be valid UTF-8 (final newline already removed): the files
    joined by newlines (``joined``, when the caller has them) are split as one string (no
    Python object per line); each line's file and number follow from where it starts."""
    if not blobs:
        return schema.empty_table()
    joined = b"\n".join(blobs) if joined is None else joined
    raw = pc.list_flatten(pc.split_pattern(_one_string(joined, pa.large_string()), "\n"))
    offsets = np.frombuffer(raw.buffers()[1], np.int64, len(raw) + 1, raw.offset * 8)
    starts = offsets[:-1] - offsets[0] + np.arange(len(raw))  # in ``joined``: one \n per line
    if b"\r" in joined:
        crlf = pc.ends_with(raw, "\r")
        raw = pc.if_else(crlf, pc.utf8_slice_codeunits(raw, 0, -1), raw)
    file_starts = np.cumsum([0] + [len(b) + 1 for b in blobs[:-1]], dtype=np.int64)
    parents = np.searchsorted(file_starts, starts, side="right") - 1
    numbers = np.arange(len(starts)) - np.searchsorted(starts, file_starts)[parents] + 1
    parents, names_array = pa.array(parents.astype(np.int32)), pa.array(names, pa.string())
    if pa.types.is_dictionary(schema.field("source_file").type):
        files = pa.DictionaryArray.from_arrays(parents, names_array)
    else:
        files = names_array.take(parents)
    ok = pa.nulls(len(raw), pa.bool_()).fill_null(True)
    return pa.table([files, numbers.astype(np.int64), raw.cast(pa.string()), ok], schema=schema)


def _split_in_python(source_file: str, data: bytes) -> pa.Table:
    lines, ok = split_lines(data)
    numbers = range(1, len(lines) + 1)
    return pa.table([[source_file] * len(lines), numbers, lines, ok], schema=LINES_SCHEMA)


LINE_QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


def split_classified(
    lines: pa.Table,
    classify_sql: str,
    event_columns: str,
    events_schema: pa.Schema,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Split a lines table into (events, quarantine): ``classify_sql`` reads ``lines_in`` and
    gives every line a ``reason`` (NULL: valid); events are ``event_columns`` of the valid lines,
    quarantine the raw text and reason of the rest, both in file and line order. ``con``: an
    in-memory DuckDB connection to reuse (a long-running loader saves the ~20-50 ms of
    creating one per batch); by default a fresh one."""
    own = con is None
    if con is None:
        con = duck.connect()
    try:
        con.register("lines_in", lines)
        con.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {classify_sql}")
        order = "ORDER BY source_file, line_number"
        events = con.execute(
            f"SELECT {event_columns} FROM classified WHERE reason IS NULL {order}"
        ).fetch_arrow_table()
        quarantine = con.execute(
            "SELECT source_file, line_number, raw, reason FROM classified "
            f"WHERE reason IS NOT NULL {order}"
        ).fetch_arrow_table()
    finally:
        if own:
            con.close()
        else:
            con.unregister("lines_in")
            con.execute("DROP TABLE IF EXISTS classified")
    return events.cast(events_schema), quarantine.cast(LINE_QUARANTINE_SCHEMA)


# ----------------------------------------------------------------------------- batches


def files_schema(counts: list[str]) -> pa.Schema:
    """The schema of a manifest row: the file, its fingerprint and size, the batch that read it,
    a domain's ``counts`` (int64, in order) and when it was loaded."""
    columns = [
        ("source_file", pa.string()),
        ("fingerprint", pa.string()),
        ("size_bytes", pa.int64()),
        ("batch_id", pa.string()),
        *((name, pa.int64()) for name in counts),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
    return pa.schema([pa.field(name, type_, nullable=False) for name, type_ in columns])


FILES_SCHEMA = files_schema(["lines_read", "valid_rows", "quarantined_rows"])


def manifest_rows(
    files: list[LandedFile],
    contents: dict[str, bytes],
    batch_id: str,
    counts: Callable[[str], dict[str, int]],
    schema: pa.Schema,
) -> pa.Table:
    """One manifest row per file of a batch; ``counts(path)`` gives the file's count columns."""
    now = datetime.now(UTC)
    rows = [
        {
            "source_file": f.path,
            "fingerprint": f.fingerprint,
            "size_bytes": len(contents[f.path]),
            "batch_id": batch_id,
            **counts(f.path),
            "loaded_at": now,
        }
        for f in files
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def new_batch_id() -> str:
    """Sortable by time, unique across processes."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


def with_batch(table: pa.Table, batch_id: str) -> pa.Table:
    column = pa.array([batch_id] * table.num_rows, pa.string())
    return table.append_column(pa.field("batch_id", pa.string(), nullable=False), column)


def row_counts(table: pa.Table) -> dict[str, int]:
    """Rows per source_file."""
    if not table.num_rows:
        return {}
    return {v["values"]: v["counts"] for v in pc.value_counts(table["source_file"]).to_pylist()}


def file_rows(
    files: list[LandedFile],
    contents: dict[str, bytes],
    batch_id: str,
    lines: pa.Table,
    valid: pa.Table,
    quarantined: pa.Table,
) -> pa.Table:
    """The manifest rows of one batch: what was read from each file and where it went."""
    read, ok, bad = row_counts(lines), row_counts(valid), row_counts(quarantined)
    return manifest_rows(
        files,
        contents,
        batch_id,
        lambda path: {
            "lines_read": read.get(path, 0),
            "valid_rows": ok.get(path, 0),
            "quarantined_rows": bad.get(path, 0),
        },
        FILES_SCHEMA,
    )


# ---------------------------------------------------------------------- warehouse side


def pending_files(listed: list[LandedFile], manifest: dict[str, str]) -> list[LandedFile]:
    """The listed files that are new or rewritten since the manifest was written."""
    return [f for f in listed if manifest.get(f.path) != f.fingerprint]


def loaded_manifest(dataset: str, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """source_file → fingerprint of the content currently loaded (caller holds the lock)."""
    if con is None:
        with warehouse.connect(lock=False) as own:
            return loaded_manifest(dataset, own)
    if not table_exists(con, dataset, "files"):
        return {}
    return dict(con.execute(f"SELECT source_file, fingerprint FROM {dataset}.files").fetchall())


def committed_batches(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """The batches some committed load record of ``dataset`` names."""
    if not table_exists(con, dataset, "file_loads"):
        return set()
    return {
        b for (b,) in con.execute(f"SELECT DISTINCT batch_id FROM {dataset}.file_loads").fetchall()
    }


@dataclass
class Reconciliation:
    """Lines read vs rows landed, over the recorded reads of the files."""

    loads: int
    lines_read: int
    valid: int
    quarantined: int
    events_landed: int
    quarantine_landed: int
    mismatched_loads: int
    orphan_rows: int
    ignored: int = 0

    @property
    def passed(self) -> bool:
        return (
            self.mismatched_loads == 0
            and self.lines_read == self.valid + self.ignored + self.quarantined
            and self.valid == self.events_landed
            and self.quarantined == self.quarantine_landed
        )


@dataclass(frozen=True)
class LoadCounts:
    """The names of a domain's ``file_loads`` count columns and of its rows table; ``ignored``
    (lines read on purpose and not kept, e.g. other event types) is optional."""

    rows_table: str = "events"
    read: str = "lines_read"
    valid: str = "valid_rows"
    quarantined: str = "quarantined_rows"
    ignored: str | None = None


def reconcile(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    batch_ids: list[str] | None = None,
    counts: LoadCounts = LoadCounts(),
    landed: tuple[str, str] | None = None,
) -> Reconciliation:
    """For each load (batch, file) in ``<dataset>.file_loads``: lines read = valid (+ ignored) +
    quarantined, and exactly that many rows are in the rows table and ``quarantine``. Rows of a
    batch with no completed load record (a crash before dlt finished) are invisible downstream
    and counted as ``orphan_rows``. ``batch_ids`` limits the check to those batches (None: all).
    ``landed``: SQL relations (with batch_id, source_file) of the rows and quarantine when they
    landed elsewhere than the warehouse tables (a lake)."""
    if not table_exists(con, dataset, "file_loads"):
        return Reconciliation(0, 0, 0, 0, 0, 0, 0, 0)
    in_scope = "$all OR list_contains($batches::VARCHAR[], batch_id)"
    c = counts
    ignored = c.ignored or "0"
    rows_from, quarantine_from = landed or (f"{dataset}.{c.rows_table}", f"{dataset}.quarantine")
    row = con.execute(
        f"""
        WITH loads AS (SELECT * FROM {dataset}.file_loads WHERE {in_scope}),
        ev AS (
            SELECT batch_id, source_file, count(*) AS n FROM {rows_from} AS landed_rows
            WHERE {in_scope} GROUP BY ALL
        ),
        q AS (
            SELECT batch_id, source_file, count(*) AS n FROM {quarantine_from} AS landed_q
            WHERE {in_scope} GROUP BY ALL
        ),
        joined AS (
            SELECT loads.*, coalesce(ev.n, 0) AS ev_n, coalesce(q.n, 0) AS q_n
            FROM loads
            LEFT JOIN ev USING (batch_id, source_file)
            LEFT JOIN q USING (batch_id, source_file)
        )
        SELECT
            count(*),
            coalesce(sum({c.read}), 0), coalesce(sum({c.valid}), 0),
            coalesce(sum({c.quarantined}), 0), coalesce(sum(ev_n), 0), coalesce(sum(q_n), 0),
            count(*) FILTER (WHERE {c.read} <> {c.valid} + {ignored} + {c.quarantined}
                             OR {c.valid} <> ev_n OR {c.quarantined} <> q_n),
            (SELECT coalesce(sum(n), 0) FROM ev ANTI JOIN loads USING (batch_id, source_file))
            + (SELECT coalesce(sum(n), 0) FROM q ANTI JOIN loads USING (batch_id, source_file)),
            coalesce(sum({ignored}), 0)
        FROM joined
        """,
        {"all": batch_ids is None, "batches": batch_ids or []},
    ).fetchone()
    return Reconciliation(*(int(v) for v in row))
