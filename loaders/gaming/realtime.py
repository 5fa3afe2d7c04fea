"""The gaming real-time store: what the API serves, written a file at a time.

``serving/gaming/realtime.sqlite`` (see :mod:`tributary.realtime`) holds the served tables
with the same rows and columns as the dbt marts over ``gaming_raw``:

- ``user_events`` (and the view ``user``): every valid event of each file's current content;
- ``revenue``: one row per user with a valid event, ``total_spend`` the exact sum rounded half
  away from zero to two decimals, kept with the exact sum (``spend_exact``) and the number of
  events so a new file only adds to the users it touches;
- ``quarantine``: the rejected lines (raw text and reason) of the current contents;
- ``files``: the manifest, source file → fingerprint and counts, written in the same
  transaction as the rows: a file is in the store entirely or not at all, so a crash at any
  point loses and doubles nothing (the file is simply pending again).

A load reads and validates files with the warehouse load's query
(:func:`loaders.batched_load.parse_batch` with :func:`loaders.gaming.parsing.validate`), or
takes the batches a warehouse load just committed (:meth:`StoreWriter.apply_parsed`: one
read and one parse for both), and applies each batch in one transaction that touches only what changed: the new rows, the old
rows of a rewritten file, and the revenue of the users involved. Before committing it checks
for every file that lines read = valid + quarantined and that exactly those rows are stored.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.batched_load import ParsedBatch, group_files, parse_batch
from loaders.gaming.landing import Landing
from loaders.gaming.parsing import validate
from loaders.gaming.settings import GamingSettings
from loaders.incremental_files import LandedFile, pending_files
from tributary import duck, realtime

DOMAIN = "gaming"
SCHEMA = """
CREATE TABLE IF NOT EXISTS user_events (
    "user" TEXT NOT NULL, "timestamp" TEXT NOT NULL, evtname TEXT NOT NULL, spend TEXT,
    source_file TEXT NOT NULL, line_number INTEGER NOT NULL,
    PRIMARY KEY (source_file, line_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_events_in_page_order
    ON user_events ("user", "timestamp", source_file, line_number);
CREATE VIEW IF NOT EXISTS "user" AS SELECT "user", "timestamp", evtname FROM user_events;
CREATE TABLE IF NOT EXISTS revenue (
    "user" TEXT PRIMARY KEY, total_spend TEXT NOT NULL, spend_exact TEXT NOT NULL,
    events INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    source_file TEXT NOT NULL, line_number INTEGER NOT NULL, raw TEXT NOT NULL,
    reason TEXT NOT NULL, batch_id TEXT NOT NULL,
    PRIMARY KEY (source_file, line_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    source_file TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    batch_id TEXT NOT NULL, lines_read INTEGER NOT NULL, valid_rows INTEGER NOT NULL,
    quarantined_rows INTEGER NOT NULL, loaded_at TEXT NOT NULL
) WITHOUT ROWID
"""
EVENT_COLUMNS = ["user", "timestamp", "evtname", "spend", "source_file", "line_number"]
QUARANTINE_COLUMNS = ["source_file", "line_number", "raw", "reason", "batch_id"]
FILE_COLUMNS = [
    "source_file",
    "fingerprint",
    "size_bytes",
    "batch_id",
    "lines_read",
    "valid_rows",
    "quarantined_rows",
    "loaded_at",
]
CENTS = Decimal("0.01")
# Sums of up to 18 integer digits and 10 decimals over any number of events: exact.
EXACT = Context(prec=80)
IN_CHUNK = 500  # bound parameters per IN (...) list
SMALL_BATCH_ROWS = 5_000  # below this, per-user sums in Python beat a DuckDB round trip


class StoreMismatch(RuntimeError):
    """A batch would not leave the store reconciled; nothing of it was committed."""


def store_path() -> Path:
    return realtime.store_path(DOMAIN)


WRITER_CACHE_KIB = 128 * 1024


def connect() -> sqlite3.Connection:
    """The writer connection (creates the store on first use), with a 128 MB page cache: a
    backlog's inserts land all over the ``user`` index, and SQLite's default 2 MB cache makes
    each of them a page read."""
    con = realtime.open_writer(DOMAIN, SCHEMA)
    con.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    return con


def total_spend(exact: Decimal) -> str:
    """Half away from zero to cents (sums are never negative), exactly two decimals."""
    return format(exact.quantize(CENTS, rounding=ROUND_HALF_UP, context=EXACT), "f")


def _chunks(values: list, size: int = IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _select_in(con: sqlite3.Connection, sql: str, values: list) -> list[tuple]:
    """``sql`` with ``{in}`` replaced by a placeholder list, run over ``values`` in chunks."""
    rows: list[tuple] = []
    for chunk in _chunks(values):
        rows += con.execute(sql.format(placeholders=",".join("?" * len(chunk))), chunk).fetchall()
    return rows


def manifest(con: sqlite3.Connection, paths: list[str] | None = None) -> dict[str, str]:
    """source_file → fingerprint stored, for ``paths`` (None: every file)."""
    if paths is None:
        return dict(con.execute("SELECT source_file, fingerprint FROM files").fetchall())
    sql = "SELECT source_file, fingerprint FROM files WHERE source_file IN ({placeholders})"
    return dict(_select_in(con, sql, paths))


def _columns(table: pa.Table, names: list[str]) -> Iterable[tuple]:
    return zip(*(table[name].to_pylist() for name in names), strict=True)


def _added_spend(
    events: pa.Table, con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, tuple[Decimal, int]]:
    """Per user of the batch: exact sum of spend and number of events (a few rows in Python,
    more in one DuckDB pass; ``con``: a DuckDB connection to reuse)."""
    if events.num_rows <= SMALL_BATCH_ROWS:
        out: dict[str, tuple[Decimal, int]] = {}
        with localcontext(EXACT):
            for user, spend in _columns(events, ["user", "spend"]):
                total, n = out.get(user, (Decimal(0), 0))
                out[user] = (total + Decimal(spend or 0), n + 1)
        return out
    own = con is None
    if con is None:
        con = duck.connect()
    try:
        con.register("batch_events", events)
        rows = con.execute(
            """SELECT "user", CAST(sum(CAST(spend AS DECIMAL(38, 10))) AS VARCHAR), count(*)
               FROM batch_events GROUP BY "user" """
        ).fetchall()
    finally:
        if own:
            con.close()
        else:
            con.unregister("batch_events")
    return {user: (Decimal(total or 0), n) for user, total, n in rows}


def _remove_files(con: sqlite3.Connection, paths: list[str], deltas: dict) -> None:
    """Take the stored rows of ``paths`` (rewritten files) out, subtracting from ``deltas``."""
    for path in paths:
        for user, spend in con.execute(
            'SELECT "user", spend FROM user_events WHERE source_file = ?', [path]
        ):
            total, n = deltas.get(user, (Decimal(0), 0))
            deltas[user] = (total - Decimal(spend or 0), n - 1)
        con.execute("DELETE FROM user_events WHERE source_file = ?", [path])
        con.execute("DELETE FROM quarantine WHERE source_file = ?", [path])


def _merge_revenue(con: sqlite3.Connection, deltas: dict[str, tuple[Decimal, int]]) -> None:
    users = list(deltas)
    current = {
        user: (Decimal(exact), n)
        for user, exact, n in _select_in(
            con,
            'SELECT "user", spend_exact, events FROM revenue WHERE "user" IN ({placeholders})',
            users,
        )
    }
    upserts, gone = [], []
    with localcontext(EXACT):
        for user, (delta, dn) in deltas.items():
            total, n = current.get(user, (Decimal(0), 0))
            total, n = total + delta, n + dn
            if n <= 0:
                gone.append((user,))
            else:
                upserts.append((user, total_spend(total), format(total, "f"), n))
    con.executemany('DELETE FROM revenue WHERE "user" = ?', gone)
    con.executemany(
        'INSERT INTO revenue ("user", total_spend, spend_exact, events) VALUES (?, ?, ?, ?) '
        'ON CONFLICT ("user") DO UPDATE SET total_spend = excluded.total_spend, '
        "spend_exact = excluded.spend_exact, events = excluded.events",
        upserts,
    )


def _verify(con: sqlite3.Connection, files: pa.Table) -> None:
    for path, read, valid, bad in _columns(
        files, ["source_file", "lines_read", "valid_rows", "quarantined_rows"]
    ):
        stored = con.execute(
            "SELECT (SELECT count(*) FROM user_events WHERE source_file = ?),"
            " (SELECT count(*) FROM quarantine WHERE source_file = ?)",
            [path, path],
        ).fetchone()
        if read != valid + bad or stored != (valid, bad):
            raise StoreMismatch(
                f"{path}: read {read}, valid {valid} + quarantined {bad}, stored {stored}"
            )


def apply(
    con: sqlite3.Connection, batch: ParsedBatch, duck_con: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Make ``batch`` the current content of its files, in one transaction (all or nothing)."""
    paths = batch.files["source_file"].to_pylist()
    con.execute("BEGIN IMMEDIATE")
    try:
        deltas: dict[str, tuple[Decimal, int]] = {}
        _remove_files(con, list(manifest(con, paths)), deltas)
        for user, (total, n) in _added_spend(batch.events, duck_con).items():
            old_total, old_n = deltas.get(user, (Decimal(0), 0))
            deltas[user] = (old_total + total, old_n + n)
        con.executemany(
            'INSERT INTO user_events ("user", "timestamp", evtname, spend, source_file, '
            "line_number) VALUES (?, ?, ?, ?, ?, ?)",
            _columns(batch.events, EVENT_COLUMNS),
        )
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
            _columns(batch.quarantine, QUARANTINE_COLUMNS),
        )
        _merge_revenue(con, deltas)
        files = batch.files.set_column(
            batch.files.schema.get_field_index("loaded_at"),
            "loaded_at",
            pa.array([realtime.utc_now()] * batch.files.num_rows),
        )
        con.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _columns(files, FILE_COLUMNS),
        )
        _verify(con, batch.files)
        realtime.set_meta(con, {"version": batch.batch_id, "published_at": realtime.utc_now()})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@dataclass
class StoreLoad:
    """What one load into the store did."""

    batch_ids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lines_read: int = 0
    valid: int = 0
    quarantined: int = 0
    seconds: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.files


class StoreWriter:
    """The store's writer connection and a DuckDB connection for validation, kept open by a
    long-running loader (the follow service): a small file then costs milliseconds, not the
    tens of milliseconds of opening both."""

    def __init__(self) -> None:
        self.settings = GamingSettings()
        self.con = connect()
        self.duck = duck.connect()

    def close(self) -> None:
        self.con.close()
        self.duck.close()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def load(
        self,
        landing: Landing,
        candidates: list[LandedFile] | None = None,
        max_files: int | None = None,
    ) -> StoreLoad:
        """Load into the store every file of ``candidates`` (None: the whole listing) that is
        new or rewritten since the store last read it. Takes the store's writer lock, never
        the warehouse's."""
        started = time.perf_counter()
        done = StoreLoad()
        con = self.con
        with realtime.store_lock(DOMAIN):
            if candidates is None:
                listed = landing.list()
                stored = manifest(con)
            else:
                listed = sorted(candidates, key=lambda f: f.path)
                stored = manifest(con, [f.path for f in listed])
            pending = pending_files(listed, stored)[:max_files]
            batches = group_files(pending, self.settings.files_per_batch, 64 * 1024 * 1024)
            for group in batches:
                batch = parse_batch(
                    group, landing.read(group), lambda lines: validate(lines, self.duck)
                )
                apply(con, batch, self.duck)
                done.batch_ids.append(batch.batch_id)
                done.files += [f.path for f in group]
                done.lines_read += sum(batch.files["lines_read"].to_pylist())
                done.valid += batch.events.num_rows
                done.quarantined += batch.quarantine.num_rows
            if not con.execute("SELECT 1 FROM meta WHERE key = 'version'").fetchone():
                # An empty landing location is published too: empty tables, not "unpublished".
                realtime.set_meta(con, {"version": "empty", "published_at": realtime.utc_now()})
        done.seconds = round(time.perf_counter() - started, 4)
        return done

    def apply_parsed(self, batch: ParsedBatch) -> StoreLoad:
        """Apply a batch another load already read and validated (the warehouse load of the
        CLI and the fallback sensor: one parse feeds both), for those of its files the store
        does not hold at that fingerprint."""
        started = time.perf_counter()
        done = StoreLoad()
        with realtime.store_lock(DOMAIN):
            paths = batch.files["source_file"].to_pylist()
            stored = manifest(self.con, paths)
            wanted = [
                path
                for path, fp in zip(paths, batch.files["fingerprint"].to_pylist(), strict=True)
                if stored.get(path) != fp
            ]
            if wanted:
                if len(wanted) < len(paths):
                    batch = _only_files(batch, wanted)
                apply(self.con, batch, self.duck)
                done.batch_ids.append(batch.batch_id)
                done.files += wanted
                done.lines_read += sum(batch.files["lines_read"].to_pylist())
                done.valid += batch.events.num_rows
                done.quarantined += batch.quarantine.num_rows
        done.seconds = round(time.perf_counter() - started, 4)
        return done


def _only_files(batch: ParsedBatch, paths: list[str]) -> ParsedBatch:
    keep = pa.array(paths, pa.string())

    def rows_of(table: pa.Table) -> pa.Table:
        return table.filter(pc.is_in(table["source_file"], value_set=keep))

    return ParsedBatch(
        batch.batch_id,
        rows_of(batch.events),
        rows_of(batch.quarantine),
        rows_of(batch.files),
        [p for p in batch.file_paths if p in set(paths)],
    )


def load_files(
    landing: Landing, candidates: list[LandedFile] | None = None, max_files: int | None = None
) -> StoreLoad:
    """One load with a writer of its own (see :meth:`StoreWriter.load`)."""
    with StoreWriter() as writer:
        return writer.load(landing, candidates, max_files)


def catch_up(_warehouse: object = None) -> Path:
    """Bring the store up to the landing location (the ``publish`` step of the domain: the
    CLI, the fallback sensor and the ``serving/gaming`` asset call it)."""
    load_files(Landing())
    return store_path()


def row_counts() -> dict[str, int | str]:
    """Path and row counts of the store (asset metadata)."""
    con = realtime.RealtimeReader(DOMAIN).cursor()
    try:
        counts: dict[str, int | str] = {"path": str(store_path())}
        for table in ("user_events", "revenue", "quarantine", "files"):
            counts[f"rows.{table}"] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return counts
    finally:
        con.close()
