"""Serving snapshots: how the API reads marts while the pipeline writes them.

DuckDB allows one writer per file and a read-only open fails while a writer holds the file, so
the API never opens ``warehouse.duckdb``. Instead, after each load a publisher (holding the
warehouse lock) copies the marts a domain serves into a new, immutable DuckDB file
``serving/<domain>/<version>.duckdb`` and then points ``serving/<domain>/CURRENT`` at it with
an atomic rename. Readers read ``CURRENT`` on each request and switch to the new version;
requests already running finish on the version they started with. A reader never waits for
a writer and never sees a half-written table.

Each version has its own path on purpose: DuckDB caches open databases by path inside a
process, so re-opening a path that was replaced underneath would hand back the old data.
Old versions are deleted after a grace period (readers that still have one open keep it
readable: unlinking does not affect open files).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tributary import duck, settings
from tributary.warehouse import connect as connect_warehouse


@dataclass(frozen=True)
class ServedTable:
    """One table of a snapshot: ``select`` runs against the warehouse; rows are stored in
    ``order_by`` order so point lookups on the leading column prune row groups, and
    ``index_on`` (a column) adds an ART index for point lookups on large tables."""

    schema: str
    name: str
    select: str
    order_by: str | None = None
    index_on: str | None = None


KEEP_OLD_VERSIONS_SECONDS = 60.0
log = logging.getLogger("tributary.serving")


def domain_dir(domain: str) -> Path:
    return settings.serving_dir() / domain


def domain_dir_of(data_dir: Path, domain: str) -> Path:
    """``domain_dir`` of a given data dir (``settings.serving_dir`` spelled once)."""
    return settings.serving_dir(data_dir) / domain


def current_version(domain: str) -> Path | None:
    """The published snapshot file of ``domain``, or None before the first publish."""
    folder = domain_dir(domain)
    try:
        name = read_pointer(folder / "CURRENT")
    except FileNotFoundError:
        return None
    return folder / name if name else None


def read_pointer(pointer: Path | str) -> str:
    """The file name a ``CURRENT`` pointer names ('' if empty). Raw system calls: it is on
    every request's path, where ``Path.read_text`` (text layer, encoding lookup) cost ~15 µs."""
    fd = os.open(pointer, os.O_RDONLY)
    try:
        return os.read(fd, 4096).decode().strip()
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    domain: str,
    tables: list[ServedTable],
    warehouse: duckdb.DuckDBPyConnection,
    info: Mapping[str, str] | None = None,
) -> Path:
    """Write a new snapshot of ``tables`` from an open warehouse connection and make it current.

    The caller holds the warehouse lock (the warehouse must not change mid-copy).
    """
    folder = domain_dir(domain)
    folder.mkdir(parents=True, exist_ok=True)
    version = new_version()
    target = folder / f"{version}.duckdb"

    def fill(alias: str) -> None:
        for t in tables:
            warehouse.execute(f'CREATE SCHEMA IF NOT EXISTS {alias}."{t.schema}"')
            order = f" ORDER BY {t.order_by}" if t.order_by else ""
            warehouse.execute(
                f'CREATE TABLE {alias}."{t.schema}"."{t.name}" AS '
                f"SELECT * FROM ({t.select}) AS src{order}"
            )
            if t.index_on:
                warehouse.execute(
                    f'CREATE INDEX "{t.name}_by_{t.index_on}" '
                    f'ON {alias}."{t.schema}"."{t.name}" ({t.index_on})'
                )
        warehouse.execute(f"CREATE TABLE {alias}.main.snapshot_info (key VARCHAR, value VARCHAR)")

    _write_version(warehouse, target, fill, {"domain": domain, "version": version, **(info or {})})
    return target


def _write_version(
    warehouse: duckdb.DuckDBPyConnection,
    target: Path,
    fill: Callable[[str], None],
    info: Mapping[str, str],
) -> None:
    """Attach ``target``, let ``fill(alias)`` write its tables (and an empty
    ``snapshot_info``), record ``info`` with the publication time, detach and make it current.
    On any failure the half-written file is removed and nothing is made current."""
    alias = f"snap_{uuid.uuid4().hex[:8]}"
    warehouse.execute(f"ATTACH '{target}' AS {alias}")
    try:
        fill(alias)
        meta = {
            "domain": info["domain"],
            "version": info["version"],
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        meta.update(info)
        warehouse.executemany(
            f"INSERT INTO {alias}.main.snapshot_info VALUES (?, ?)", list(meta.items())
        )
        warehouse.execute(f"DETACH {alias}")
    except BaseException:
        warehouse.execute(f"DETACH DATABASE IF EXISTS {alias}")
        target.unlink(missing_ok=True)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        raise
    make_current(target)


def new_version() -> str:
    """A fresh version name: sortable by time, unique."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"


def publish_delta(
    domain: str,
    tables: list[ServedTable],
    warehouse: duckdb.DuckDBPyConnection,
    base: Path,
    changed: Mapping[str, str],
    info: Mapping[str, str] | None = None,
) -> Path:
    """Like :func:`publish`, but start from a copy of the published snapshot ``base`` and
    rewrite only what changed: for a table named in ``changed`` (name → a SQL query on the
    warehouse listing the changed values of the table's ``index_on`` column), delete the rows
    with those values and insert the warehouse's rows for them; every other table is copied
    whole. The cost follows the change, not the table. The caller holds the warehouse lock
    and knows that ``base`` plus those rows equals the warehouse (what changed since ``base``).
    """
    folder = domain_dir(domain)
    version = new_version()
    target = folder / f"{version}.duckdb"
    tmp = folder / f".{version}.duckdb.tmp"
    shutil.copyfile(base, tmp)  # published versions are immutable: a plain copy is consistent
    os.replace(tmp, target)

    def fill(alias: str) -> None:
        for t in tables:
            name = f'{alias}."{t.schema}"."{t.name}"'
            order = f" ORDER BY {t.order_by}" if t.order_by else ""
            if t.name in changed and t.index_on:
                keys = f"delta_keys_{uuid.uuid4().hex[:8]}"
                warehouse.execute(f"CREATE TEMP TABLE {keys} AS {changed[t.name]}")
                warehouse.execute(
                    f"DELETE FROM {name} WHERE {t.index_on} IN (SELECT * FROM {keys})"
                )
                warehouse.execute(
                    f"INSERT INTO {name} SELECT * FROM ({t.select}) AS src "
                    f"WHERE {t.index_on} IN (SELECT * FROM {keys}){order}"
                )
                warehouse.execute(f"DROP TABLE {keys}")
                continue
            warehouse.execute(f"DROP TABLE IF EXISTS {name}")
            warehouse.execute(f"CREATE TABLE {name} AS SELECT * FROM ({t.select}) AS src{order}")
            if t.index_on:
                warehouse.execute(
                    f'CREATE INDEX "{t.name}_by_{t.index_on}" ON {name} ({t.index_on})'
                )
        warehouse.execute(f"DELETE FROM {alias}.main.snapshot_info")

    meta = {"domain": domain, "version": version, "delta_of": base.name, **(info or {})}
    _write_version(warehouse, target, fill, meta)
    return target


def snapshot_info(path: Path) -> dict[str, str]:
    """The ``snapshot_info`` of a published snapshot file (empty when unreadable)."""
    try:
        con = duck.connect(path, read_only=True)
    except duckdb.Error:
        return {}
    try:
        return dict(con.execute("SELECT key, value FROM main.snapshot_info").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def make_current(target: Path) -> None:
    """Sync the finished snapshot file ``target`` and point its folder's ``CURRENT`` at it
    atomically, then delete versions older than the grace period."""
    folder = target.parent
    fsync_path(target)
    pointer_tmp = folder / f".CURRENT.{uuid.uuid4().hex}"
    pointer_tmp.write_text(target.name + "\n")
    fsync_path(pointer_tmp)
    os.replace(pointer_tmp, folder / "CURRENT")
    fsync_path(folder)
    _remove_old_versions(folder, keep=target.name)


def _remove_old_versions(folder: Path, keep: str) -> None:
    cutoff = time.time() - KEEP_OLD_VERSIONS_SECONDS
    for old in [*folder.glob("*.duckdb*"), *folder.glob("*.sqlite*")]:
        if old.name.startswith(keep):
            continue
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            pass


class SnapshotMissing(LookupError):
    """The domain has not been published yet in this data dir."""


class SnapshotUnreadable(SnapshotMissing):
    """``CURRENT`` names a snapshot that cannot be opened (deleted, truncated, not DuckDB)."""

    def __init__(self, domain: str, reason: str) -> None:
        super().__init__(domain, reason)
        self.reason = reason


class SnapshotReader:
    """Thread-safe access to the newest snapshot of one domain (one instance per process)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._path: Path | None = None
        self._logged: str | None = None  # the unreadable snapshot last logged (once each)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest snapshot; one small file read when nothing changed."""
        reason = "unreadable"
        for _ in range(3):
            path = current_version(self.domain)
            if path is None:
                raise SnapshotMissing(self.domain)
            with self._lock:
                if self._con is None or path != self._path:
                    try:
                        con = duck.connect(path, read_only=True)
                    except duckdb.Error as exc:
                        # superseded and removed between the read and the open, or unreadable
                        reason = f"snapshot {path.name} cannot be opened: {exc}"
                        continue
                    # The previous version stays open only while requests still read it: its
                    # database is released as soon as the last cursor on it is closed (each
                    # request's, by api.deps), so a process holds at most the current version
                    # and those of unfinished requests (tests/test_serving.py).
                    self._con, self._path = con, path
                return self._con.cursor()
        if reason != self._logged:
            self._logged = reason
            log.error("%s serving snapshot unavailable: %s", self.domain, reason)
        raise SnapshotUnreadable(self.domain, reason)

    def info(self) -> dict[str, str]:
        cur = self.cursor()
        try:
            return dict(cur.execute("SELECT key, value FROM main.snapshot_info").fetchall())
        except duckdb.Error as exc:
            raise SnapshotUnreadable(self.domain, f"no snapshot_info: {exc}") from exc
        finally:
            cur.close()


def publish_if_built(
    domain: str,
    tables: list[ServedTable],
    warehouse: duckdb.DuckDBPyConnection | None = None,
    built: tuple[str, str] | None = None,
) -> Path | None:
    """Publish ``tables`` unless dbt has not built them yet in this data dir (then None).

    ``built`` (schema, table) names the warehouse table whose existence means "built"; by
    default the first served table's own name. Uses ``warehouse`` when given, else opens the
    warehouse for the copy. The caller holds the warehouse lock either way.
    """
    if warehouse is None:
        with connect_warehouse(lock=False) as con:
            return publish_if_built(domain, tables, con, built)
    exists = warehouse.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        list(built or (tables[0].schema, tables[0].name)),
    ).fetchone()[0]
    return publish(domain, tables, warehouse) if exists else None


def row_counts(domain: str) -> dict[str, int | str]:
    """Path and row count of every table of the current snapshot (asset metadata)."""
    reader = SnapshotReader(domain)
    cur = reader.cursor()
    try:
        tables = cur.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name <> 'main'"
        ).fetchall()
        counts: dict[str, int | str] = {"path": str(current_version(domain))}
        for schema, table in tables:
            n = cur.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            counts[f"rows.{table}"] = n
        return counts
    finally:
        cur.close()
