"""The stream input: a NATS JetStream subject consumed in micro-batches.

A durable pull consumer fetches up to ``batch_size`` messages (one event per message), the
batch is landed exactly like a file batch (:func:`commit.land_lines`), and only after its
commit record is written are the messages acknowledged. A crash before the ack means
redelivery: the batch id is derived from the stream sequences it holds, so the same messages
get the same id (its half-published files are removed and rewritten), and a batch grouped
differently finds the ids already landed and counts them as duplicates. The consumer's
``ack_wait`` (default 120 s) must exceed the time to land one batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field

import pyarrow as pa

from loaders.events.commit import BatchResult, batch_rel, land_lines
from loaders.events.compaction import compact
from loaders.events.jetstream import ensure_stream
from loaders.events.lake import Lake, lake_lock
from loaders.events.settings import EventsSettings


def stream_batch_id(stream: str, sequences: list[int]) -> str:
    digest = hashlib.sha256(",".join(map(str, sequences)).encode()).hexdigest()[:12]
    return f"nats-{stream}-{min(sequences)}-{max(sequences)}-{digest}"


@dataclass
class StreamLoad:
    batches: list[BatchResult] = field(default_factory=list)
    acked: int = 0
    compaction: dict = field(default_factory=dict)

    @property
    def batch_ids(self) -> list[str]:
        return [b.batch_id for b in self.batches]


def _land_messages(lake: Lake, con, stream: str, msgs: list) -> BatchResult:
    sequences = [m.metadata.sequence.stream for m in msgs]
    batch_id = stream_batch_id(stream, sequences)
    if lake.exists(batch_rel(batch_id)):  # committed, but the ack was lost: just ack again
        record = lake.read_json(batch_rel(batch_id))
        return BatchResult(
            **{k: v for k, v in record.items() if k in BatchResult.__dataclass_fields__}
        )
    table = pa.table(
        {
            "source": pa.array([f"nats:{stream}"] * len(msgs), pa.string()),
            "position": pa.array(sequences, pa.int64()),
            "raw_bytes": pa.array([m.data for m in msgs], pa.binary()),
        }
    )
    con.register("stream_msgs", table)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lines_in AS
        SELECT source, position,
               -- a message's bytes may end with a newline; the file input never sees it
               rtrim(coalesce(try(decode(raw_bytes)), raw_bytes::VARCHAR), chr(10) || chr(13)) AS raw,
               try(decode(raw_bytes)) IS NOT NULL AS utf8_ok
        FROM stream_msgs
        """
    )
    con.unregister("stream_msgs")
    inputs = [
        {"stream": stream, "first": min(sequences), "last": max(sequences), "count": len(msgs)}
    ]
    return land_lines(con, lake, batch_id, "stream", inputs)


async def consume(
    nats_url: str | None = None,
    lake_url: str | None = None,
    stream: str | None = None,
    subject: str | None = None,
    durable: str | None = None,
    batch_size: int = 5000,
    fetch_timeout: float = 1.0,
    max_seconds: float | None = None,
    max_batches: int | None = None,
    lock_timeout: float | None = 600.0,
    ack_wait: float = 120.0,
) -> StreamLoad:
    """Consume micro-batches until the subject is idle for ``fetch_timeout`` (or a limit)."""
    import nats
    from nats.js.api import ConsumerConfig

    env = EventsSettings()
    stream, subject = stream or env.nats_stream, subject or env.nats_subject
    durable = durable or env.nats_durable
    lake = Lake(lake_url)
    load = StreamLoad()
    started = time.monotonic()
    nc = await nats.connect(nats_url or env.nats_url or "nats://127.0.0.1:4222")
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream, subject)
        sub = await js.pull_subscribe(
            subject, durable=durable, stream=stream, config=ConsumerConfig(ack_wait=ack_wait)
        )
        with lake_lock(lock_timeout):
            con = lake.connect()
            try:
                while True:
                    if max_batches is not None and len(load.batches) >= max_batches:
                        break
                    if max_seconds is not None and time.monotonic() - started > max_seconds:
                        break
                    try:
                        msgs = await sub.fetch(batch_size, timeout=fetch_timeout)
                    except TimeoutError:
                        break
                    if not msgs:
                        break
                    load.batches.append(_land_messages(lake, con, stream, msgs))
                    # Durable in the lake: now (and only now) acknowledge.
                    for m in msgs:
                        await m.ack()
                    await nc.flush()
                    load.acked += len(msgs)
                touched = sorted({tuple(p) for b in load.batches for p in b.partitions})
                load.compaction = compact(lake, con, touched)
            finally:
                con.close()
    finally:
        await nc.close()
    return load


def consume_sync(**kwargs) -> StreamLoad:
    return asyncio.run(consume(**kwargs))


async def publish_lines(
    lines: list[bytes],
    nats_url: str | None = None,
    stream: str | None = None,
    subject: str | None = None,
) -> None:
    """Publish one message per line (tests, the simulator's stream mode)."""
    import nats

    env = EventsSettings()
    stream, subject = stream or env.nats_stream, subject or env.nats_subject
    nc = await nats.connect(nats_url or env.nats_url or "nats://127.0.0.1:4222")
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream, subject)
        for start in range(0, len(lines), 1000):
            acks = [js.publish(subject, line) for line in lines[start : start + 1000]]
            await asyncio.gather(*acks)
    finally:
        await nc.close()
