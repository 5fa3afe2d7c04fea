"""The group committer with a recording writer: futures resolve only after their batch's
write returned, the first request after a quiet spell is not held, and requests arriving
within the batch interval share one transaction."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from tributary.location import committer as committer_module
from tributary.location.committer import GroupCommitter
from tributary.location.points import make_point


class RecordingWriter:
    def __init__(self) -> None:
        self.batches: list[tuple[float, int]] = []
        self.committed: set[str] = set()

    async def write_batch(self, points):
        await asyncio.sleep(0.002)  # the commit
        self.batches.append((time.monotonic(), len(points)))
        self.committed.update(p.user_id for p in points)
        return [True] * len(points)

    async def cleanup(self) -> int:
        return 0

    async def close(self) -> None:
        pass


def _point(user: str):
    return make_point(user, datetime(2017, 5, 1, 12, 0, 0), 40.7, -73.9, 5.0, 1.0)


def test_batches_are_spaced_and_acknowledged_after_the_write(monkeypatch):
    writer = RecordingWriter()

    async def open_writer():
        return writer

    monkeypatch.setattr(committer_module, "_open_writer", open_writer)

    async def scenario():
        group = GroupCommitter(max_batch=100, min_interval=0.05)
        first = _point("first")  # (the first zone lookup loads the zone data)
        t0 = time.monotonic()
        assert await group.submit(first)
        first_latency = time.monotonic() - t0

        async def send(user: str) -> bool:
            accepted = await group.submit(_point(user))
            assert user in writer.committed  # resolved only after its batch was written
            return accepted

        # Ten requests right after the first commit: held until the interval is over, then
        # written together.
        results = await asyncio.gather(*(send(f"u{i}") for i in range(10)))
        return first_latency, results

    first_latency, results = asyncio.run(scenario())
    assert all(results)
    assert first_latency < 0.04  # not held: nothing was committed just before
    assert [n for _, n in writer.batches] == [1, 10]
    assert writer.batches[1][0] - writer.batches[0][0] >= 0.045


class PoisonedWriter(RecordingWriter):
    """Fails every transaction that holds a ``poison`` point, as a database constraint would."""

    async def write_batch(self, points):
        if any(p.user_id.startswith("poison") for p in points):
            import sqlite3

            raise sqlite3.IntegrityError("poison point")
        return await super().write_batch(points)


def test_a_failed_batch_is_split_so_only_the_bad_points_fail(monkeypatch):
    writer = PoisonedWriter()

    async def open_writer():
        return writer

    monkeypatch.setattr(committer_module, "_open_writer", open_writer)

    async def scenario():
        group = GroupCommitter(max_batch=1000, min_interval=0.05)
        users = [f"poison{i}" if i % 40 == 7 else f"ok{i}" for i in range(400)]
        await group.submit(_point("first"))  # the next batch then holds all 400
        return users, await asyncio.gather(
            *(group.submit(_point(u)) for u in users), return_exceptions=True
        )

    users, results = asyncio.run(scenario())
    failed = {u for u, r in zip(users, results, strict=True) if isinstance(r, BaseException)}
    assert failed == {u for u in users if u.startswith("poison")}
    assert all(
        isinstance(r, committer_module.Rejected) for r in results if isinstance(r, BaseException)
    )
    assert writer.committed == {"first"} | {u for u in users if u.startswith("ok")}
