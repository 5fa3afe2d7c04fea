"""The embedded online store: one SQLite file in WAL mode, written by the features consumer
and read by every API process at the same time (readers never wait for the writer).

The consumer's commits are ``synchronous=FULL`` (fsynced before the stream is acknowledged);
readers read in one transaction, so the sweep minute, totals and buckets they see belong to one
commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tributary.features.store import FeatureStore, Plan, Snapshot, StoreOwned, corrections
from tributary.features.windows import RETENTION, FeatureEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consumers (
    name TEXT PRIMARY KEY, floor INTEGER NOT NULL, last_sequence INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied (
    consumer TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (consumer, sequence)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS buckets (
    product_id TEXT NOT NULL, minute INTEGER NOT NULL,
    impressions INTEGER NOT NULL, likes INTEGER NOT NULL, conversations INTEGER NOT NULL,
    PRIMARY KEY (product_id, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS buckets_by_minute ON buckets (minute);
CREATE TABLE IF NOT EXISTS totals (
    product_id TEXT PRIMARY KEY,
    i_1h INTEGER NOT NULL, i_1d INTEGER NOT NULL, i_7d INTEGER NOT NULL,
    l_1h INTEGER NOT NULL, l_1d INTEGER NOT NULL, l_7d INTEGER NOT NULL,
    c_1h INTEGER NOT NULL, c_1d INTEGER NOT NULL, c_7d INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (minute INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (minute, id))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ahead (
    created_at INTEGER NOT NULL, id TEXT NOT NULL, product_id TEXT NOT NULL, metric INTEGER NOT NULL,
    PRIMARY KEY (created_at, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ahead_by_product ON ahead (product_id);
"""
TOTALS = "i_1h, i_1d, i_7d, l_1h, l_1d, l_7d, c_1h, c_1d, c_7d"
_ADD_TOTALS = f"""
INSERT INTO totals (product_id, {TOTALS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (product_id) DO UPDATE SET
""" + ", ".join(f"{c} = {c} + excluded.{c}" for c in TOTALS.split(", "))
_ADD_BUCKET = """
INSERT INTO buckets VALUES (?, ?, ?, ?, ?)
ON CONFLICT (product_id, minute) DO UPDATE SET impressions = impressions + excluded.impressions,
    likes = likes + excluded.likes, conversations = conversations + excluded.conversations
"""


class SqliteStore(FeatureStore):
    backend = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self.con.execute("PRAGMA busy_timeout = 30000")
        if self.con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.con.execute("PRAGMA journal_mode = WAL")
        self.con.execute("PRAGMA synchronous = FULL")
        # Reads of the main file through the page cache's mapping (no pread per B-tree page)
        # and a 64 MB page cache: a 100-id batch touches a few hundred pages.
        self.con.execute("PRAGMA mmap_size = 1073741824")
        self.con.execute("PRAGMA cache_size = -65536")
        if not self.con.execute("SELECT 1 FROM sqlite_master WHERE name = 'ahead'").fetchone():
            self.con.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")

    def close(self) -> None:
        self.con.close()

    def sample_products(self, n: int) -> list[str]:
        sql = "SELECT product_id FROM totals ORDER BY random() LIMIT ?"
        return [r[0] for r in self.con.execute(sql, [n])]

    def _begin(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def _claim(self, consumer: str) -> tuple[int, int]:
        rows = self.con.execute("SELECT name, floor, last_sequence FROM consumers").fetchall()
        owners = {name: (floor, last) for name, floor, last in rows}
        if owners and consumer not in owners:
            raise StoreOwned(f"the feature store is maintained by consumer {sorted(owners)[0]!r}")
        return owners.get(consumer, (0, 0))

    def _applied(self, consumer: str, sequences: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for start in range(0, len(sequences), 900):
            chunk = list(sequences[start : start + 900])
            marks = ", ".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.con.execute(
                    f"SELECT sequence FROM applied WHERE consumer = ? AND sequence IN ({marks})",
                    [consumer, *chunk],
                )
            )
        return found

    def _prune(self, consumer: str, floor: int) -> None:
        self.con.execute(
            "DELETE FROM applied WHERE consumer = ? AND sequence <= ?", [consumer, floor]
        )
        self.con.execute("UPDATE consumers SET floor = ? WHERE name = ?", [floor, consumer])

    def _sweep_minute(self) -> int | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = 'sweep'").fetchone()
        return None if row is None else row[0]

    def _seen(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        found: set[tuple[int, str]] = set()
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            marks = ", ".join(["(?, ?)"] * len(chunk))
            found.update(
                self.con.execute(
                    f"SELECT minute, id FROM seen WHERE (minute, id) IN (VALUES {marks})",
                    [v for key in chunk for v in key],
                ).fetchall()
            )
        return found

    def _range_sums(self, lo: int, hi: int) -> dict[str, list[int]]:
        rows = self.con.execute(
            "SELECT product_id, sum(impressions), sum(likes), sum(conversations) FROM buckets "
            "WHERE minute > ? AND minute <= ? GROUP BY product_id",
            [lo, hi],
        ).fetchall()
        return {r[0]: list(r[1:]) for r in rows}

    def _take_ahead(self, before: int) -> list[FeatureEvent]:
        rows = self.con.execute(
            "DELETE FROM ahead WHERE created_at < ? RETURNING id, product_id, metric, created_at",
            [before],
        ).fetchall()
        return [FeatureEvent(*r) for r in rows]

    def _write(self, plan: Plan, consumer: str | None, sequences: Sequence[int]) -> None:
        con = self.con
        if plan.seen:
            con.executemany("INSERT INTO seen VALUES (?, ?)", plan.seen)
        if plan.buckets:
            con.executemany(_ADD_BUCKET, [(p, m, *c) for (p, m), c in plan.buckets.items()])
        if plan.totals:
            con.executemany(
                _ADD_TOTALS,
                [
                    (p, *(n for row in c for n in row))
                    for p, c in plan.totals.items()
                    if any(map(any, c))
                ],
            )
        if consumer is None and plan.totals:  # a sweep: totals of products idle for a week go
            con.executemany(
                "DELETE FROM totals WHERE product_id = ? AND i_7d = 0 AND l_7d = 0 AND c_7d = 0",
                [(p,) for p in plan.totals],
            )
        if plan.ahead:
            con.executemany(
                "INSERT INTO ahead VALUES (?, ?, ?, ?)",
                [(e.created_at, e.id, e.product_id, e.metric) for e in plan.ahead],
            )
        if sequences:
            con.executemany("INSERT INTO applied VALUES (?, ?)", [(consumer, q) for q in sequences])
            con.execute(
                "INSERT INTO consumers VALUES (?, 0, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_sequence = max(last_sequence, excluded.last_sequence)",
                [consumer, max(sequences)],
            )

    def _expire_and_set_sweep(self, old_sweep: int, sweep: int) -> None:
        edge = sweep - RETENTION
        self.con.execute("DELETE FROM buckets WHERE minute <= ?", [edge])
        self.con.execute("DELETE FROM seen WHERE minute <= ?", [edge])
        self.con.execute(
            "INSERT INTO meta VALUES ('sweep', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
            [sweep, sweep],
        )

    def _snapshot(self, product_ids: Sequence[str], minute: int) -> Snapshot:
        con = self.con
        ids = list(dict.fromkeys(product_ids))
        con.execute("BEGIN")
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'sweep'").fetchone()
            sweep = None if row is None else row[0]
            totals: dict = {}
            ranges: list[dict[str, list[int]]] = []
            ahead: dict[str, list[tuple[int, int]]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for r in con.execute(
                    f"SELECT product_id, {TOTALS} FROM totals WHERE product_id IN ({marks})", chunk
                ):
                    totals[r[0]] = [list(r[1:4]), list(r[4:7]), list(r[7:10])]
                for r in con.execute(
                    f"SELECT product_id, created_at, metric FROM ahead WHERE product_id IN ({marks})",
                    chunk,
                ):
                    ahead.setdefault(r[0], []).append((r[1], r[2]))
            if sweep is not None:
                for lo, hi, _, _ in corrections(sweep, minute):
                    sums: dict[str, list[int]] = {}
                    for start in range(0, len(ids), 500):
                        chunk = ids[start : start + 500]
                        marks = ", ".join("?" * len(chunk))
                        for r in con.execute(
                            "SELECT product_id, sum(impressions), sum(likes), sum(conversations) "
                            f"FROM buckets WHERE product_id IN ({marks}) AND minute > ? "
                            "AND minute <= ? GROUP BY product_id",
                            [*chunk, lo, hi],
                        ):
                            sums[r[0]] = list(r[1:])
                    ranges.append(sums)
        finally:
            con.execute("COMMIT")
        return Snapshot(sweep, totals, ranges, ahead)
