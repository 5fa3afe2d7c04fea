"""The NATS JetStream input (the real server on this machine, a unique stream per test)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from loaders.events import files, stream
from loaders.events.lake import Lake
from loaders.events.reconcile import reconcile
from simulation.events.generator import write_events
from tests.conftest import require_service
from tests.events.helpers import expected_rows, lake_rows, read_raw_lines, write_lines

NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture
def nats_stream():
    """A unique stream and subject, deleted afterwards."""
    require_service("nats", "127.0.0.1", 4222)
    name = f"TRIBUTARY_TEST_{uuid.uuid4().hex[:10]}"
    names = {"stream": name, "subject": f"tributary.test.{name}", "durable": f"d{name}"}
    yield names

    async def drop():
        import nats

        nc = await nats.connect(NATS_URL)
        try:
            await nc.jetstream().delete_stream(name)
        finally:
            await nc.close()

    asyncio.run(drop())


def publish(lines: list[bytes], names: dict) -> None:
    asyncio.run(stream.publish_lines(lines, NATS_URL, names["stream"], names["subject"]))


def consume(names: dict, lake: Path, **kwargs) -> stream.StreamLoad:
    return stream.consume_sync(
        nats_url=NATS_URL,
        lake_url=str(lake),
        stream=names["stream"],
        subject=names["subject"],
        durable=names["durable"],
        **kwargs,
    )


def quarantine_reasons(lake: Path) -> Counter:
    reasons: Counter = Counter()
    for f in (lake / "quarantine").glob("*.parquet"):
        reasons.update((r["raw"], r["reason"]) for r in pq.read_table(f).to_pylist())
    return reasons


def test_stream_and_files_give_identical_lakes(events_env, nats_stream):
    landing = events_env["landing"]
    write_events(
        landing, events=150, files=2, hours=1, start=datetime(2024, 3, 1, tzinfo=UTC),
        defect_rate=0.05, duplicate_rate=0.1,
    )  # fmt: skip
    write_lines(landing, "extra.json", ["not json", '{"data": 1, "meta": {}}'])
    raw = read_raw_lines(landing)

    from_files = files.land_files()
    publish(raw, nats_stream)
    stream_lake = events_env["data"] / "stream-lake"
    load = consume(nats_stream, stream_lake, batch_size=37)

    assert load.acked == len(raw) == sum(b.read for b in from_files.batches)
    assert len(load.batches) == -(-len(raw) // 37)
    expected = expected_rows(raw)
    assert lake_rows(events_env["lake"]) == expected
    assert lake_rows(stream_lake) == expected
    assert quarantine_reasons(stream_lake) == quarantine_reasons(events_env["lake"])
    assert sum(quarantine_reasons(stream_lake).values()) == len(raw) - sum(
        b.landed + b.duplicates for b in load.batches
    )
    lake = Lake(str(stream_lake))
    con = lake.connect()
    assert reconcile(lake, con).passed
    con.close()

    # Nothing left on the subject: a second consumer run lands nothing.
    assert consume(nats_stream, stream_lake).batches == []


def test_redelivery_after_a_crash_before_the_ack_lands_once(events_env, nats_stream, monkeypatch):
    from tests.events.helpers import event

    lines = [
        e if isinstance(e, bytes) else __import__("json").dumps(e).encode()
        for e in [event("a", 1_709_280_000_000 + i) for i in range(30)]
    ]
    publish(lines, nats_stream)
    lake_dir = events_env["data"] / "stream-lake"

    real = stream.land_lines
    calls = {"n": 0}

    def land_then_die(*args, **kwargs):
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed after the commit, before the ack")
        return result

    monkeypatch.setattr(stream, "land_lines", land_then_die)
    with pytest.raises(KeyboardInterrupt):
        consume(nats_stream, lake_dir, batch_size=10, ack_wait=1.0)
    monkeypatch.setattr(stream, "land_lines", real)
    assert len(lake_rows(lake_dir)) == 20  # two batches committed, only the first acked

    time.sleep(1.5)  # the unacked messages are redelivered after ack_wait
    load = consume(nats_stream, lake_dir, batch_size=7, ack_wait=1.0)
    assert load.acked == 20
    assert sum(b.landed for b in load.batches) == 10
    assert sum(b.duplicates_in_lake for b in load.batches) == 10
    assert lake_rows(lake_dir) == expected_rows(lines)
