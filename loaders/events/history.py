"""One user's events, newest first, from the user-ordered layout (``by_user.py``).

A page is one DuckDB query over the files of the user's bucket (the manifest lists them):
``user_id = ?`` is pushed into the Parquet scan, whose row-group min/max statistics skip every
row group that cannot hold the user, so a request reads the footers (cached in the process
by DuckDB's Parquet metadata cache) and a few row groups.

Pages are keyset-paginated on (``created_at``, ``id``) descending: the cursor is the last
event returned, the next page holds the events strictly after it in that order. Events that
land meanwhile are newer than the cursor (or, if they arrive late, older: then they appear
on a later page), so a page never repeats an event nor skips one that existed when the
first page was read; compaction does not move any event in that order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from loaders.events.by_user import Manifest, bucket_of, read_manifest
from loaders.events.lake import Lake

MANIFEST_TTL_SECONDS = 1.0  # how stale a reader's view of the layout may be


@dataclass(frozen=True)
class After:
    """Keyset position: the last event of the previous page."""

    created_ms: int
    id: str


@dataclass(frozen=True)
class Row:
    id: str
    type: str
    created_ms: int
    attributes: str  # JSON text as landed
    meta: str


PAGE_SQL = """
SELECT id, type, epoch_ms(created_at) AS created_ms, attributes, meta
FROM read_parquet($files)
WHERE user_id = $user
  AND ($after_ms IS NULL OR epoch_ms(created_at) < $after_ms
       OR (epoch_ms(created_at) = $after_ms AND id < $after_id))
  AND ($types IS NULL OR list_contains($types, type))
  AND ($start IS NULL OR created_at >= $start)
  AND ($end IS NULL OR created_at < $end)
ORDER BY created_at DESC, id DESC
LIMIT $limit
"""


class HistoryReader:
    """Reads pages of one lake's user layout; one per process, thread-safe (a cursor per
    query on one DuckDB database, whose Parquet metadata cache the queries share)."""

    def __init__(self, url: str | None = None) -> None:
        self.lake = Lake(url)
        self._con = self.lake.connect(memory_limit="512MB")
        self._con.execute("SET parquet_metadata_cache = true")
        self._con.execute("SET threads = 1")  # a page is a few row groups: no fan-out
        self._lock = threading.Lock()
        self._manifest: Manifest | None = None
        self._read_at = 0.0

    def manifest(self) -> Manifest | None:
        now = time.monotonic()
        if now - self._read_at > MANIFEST_TTL_SECONDS:
            with self._lock:
                if now - self._read_at > MANIFEST_TTL_SECONDS:
                    self._manifest = read_manifest(self.lake)
                    self._read_at = now
        return self._manifest

    def _files(self, user_id: str) -> list[str]:
        m = self.manifest()
        if m is None:
            return []
        return [self.lake.uri(f) for f in m.bucket_files(bucket_of(user_id, m.buckets))]

    def page(
        self,
        user_id: str,
        limit: int,
        after: After | None = None,
        types: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Row]:
        """Up to ``limit`` events of ``user_id`` after ``after``, newest first."""
        files = self._files(user_id)
        if not files:
            return []
        cur = self._con.cursor()
        try:
            rows = cur.execute(
                PAGE_SQL,
                {
                    "files": files,
                    "user": user_id,
                    "after_ms": after.created_ms if after else None,
                    "after_id": after.id if after else None,
                    "types": list(types) if types else None,
                    "start": start,
                    "end": end,
                    "limit": limit,
                },
            ).fetchall()
        finally:
            cur.close()
        return [Row(*r) for r in rows]

    def has_events(self, user_id: str) -> bool:
        return bool(self.page(user_id, 1))

    def explain(self, user_id: str) -> str:
        """``EXPLAIN ANALYZE`` of a first page (tests check the row groups it skips)."""
        cur = self._con.cursor()
        try:
            cur.execute("SET explain_output = 'all'")
            rows = cur.execute(
                "EXPLAIN ANALYZE " + PAGE_SQL,
                {
                    "files": self._files(user_id),
                    "user": user_id,
                    "after_ms": None,
                    "after_id": None,
                    "types": None,
                    "start": None,
                    "end": None,
                    "limit": 100,
                },
            ).fetchall()
        finally:
            cur.close()
        return "\n".join(r[-1] for r in rows)

    def close(self) -> None:
        self._con.close()
