"""Serving snapshots: how the API reads marts while the pipeline writes them.

DuckDB allows one writer per file and a read-only open fails while a writer holds the file, so
the API never opens ``warehouse.duckdb``. Instead, after each load a publisher (holding the
warehouse lock) copies the marts a domain serves into a fresh DuckDB file and renames it over
``serving/snapshot_<domain>.duckdb`` in one atomic ``rename``. Readers keep the snapshot they opened
(the old inode stays valid until they let go) and switch to the new one on their next request.
A reader never waits for a writer and never sees a half-written table.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tributary import duck, settings


@dataclass(frozen=True)
class ServedTable:
    """One table of a snapshot: ``select`` runs against the warehouse; rows are stored in
    ``order_by`` order so point lookups on the leading column prune row groups."""

    schema: str
    name: str
    select: str
    order_by: str | None = None


def snapshot_path(domain: str) -> Path:
    # Not "<domain>.duckdb": DuckDB names the catalog after the file, which would clash with
    # the schema of the same name inside it.
    return settings.serving_dir() / f"snapshot_{domain}.duckdb"


def publish(
    domain: str,
    tables: list[ServedTable],
    warehouse: duckdb.DuckDBPyConnection,
    info: Mapping[str, str] | None = None,
) -> Path:
    """Write a new snapshot of ``tables`` from an open warehouse connection and swap it in.

    The caller holds the warehouse lock (the warehouse must not change mid-copy).
    """
    final = snapshot_path(domain)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{domain}.{uuid.uuid4().hex}.tmp.duckdb")
    alias = f"snap_{uuid.uuid4().hex[:8]}"
    warehouse.execute(f"ATTACH '{tmp}' AS {alias}")
    try:
        for t in tables:
            warehouse.execute(f'CREATE SCHEMA IF NOT EXISTS {alias}."{t.schema}"')
            order = f" ORDER BY {t.order_by}" if t.order_by else ""
            warehouse.execute(
                f'CREATE TABLE {alias}."{t.schema}"."{t.name}" AS '
                f"SELECT * FROM ({t.select}) AS src{order}"
            )
        meta = {"domain": domain, "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        meta.update(info or {})
        warehouse.execute(f"CREATE TABLE {alias}.main.snapshot_info (key VARCHAR, value VARCHAR)")
        warehouse.executemany(
            f"INSERT INTO {alias}.main.snapshot_info VALUES (?, ?)", list(meta.items())
        )
        warehouse.execute(f"DETACH {alias}")
    except BaseException:
        warehouse.execute(f"DETACH DATABASE IF EXISTS {alias}")
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


class SnapshotMissing(LookupError):
    """The domain has not been published yet in this data dir."""


class SnapshotReader:
    """Thread-safe access to the newest snapshot of one domain (one instance per process)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest snapshot; cheap (one ``stat``) when nothing changed."""
        path = snapshot_path(self.domain)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise SnapshotMissing(self.domain) from None
        identity = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._con is None or identity != self._identity:
                # The old connection stays alive for cursors still using it and is closed
                # when the last of them is garbage-collected.
                self._con = duck.connect(path, read_only=True)
                self._identity = identity
            return self._con.cursor()

    def info(self) -> dict[str, str]:
        cur = self.cursor()
        return dict(cur.execute("SELECT key, value FROM main.snapshot_info").fetchall())
