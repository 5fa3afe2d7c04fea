"""The features consumer: the events stream → the online feature store (scenario 4).

A second durable pull consumer on the lake's NATS JetStream subject (its own durable name,
``EVENTS_FEATURES_DURABLE``), so it neither waits for nor disturbs the lake's micro-batches. Each
fetched batch is applied to the store in one transaction together with its stream sequences (:meth:`tributary.features.store.FeatureStore.apply`), and acknowledged only
after that commit. After a crash (even ``kill -9`` between the commit and the ack), the
redelivered messages are found among the recorded sequences and skipped: no count is lost
or doubled. Between fetches the consumer sweeps the store (moves the window totals to the
current minute, expires buckets older than 7 days + 1 minute), at least once a minute.

Run alone with ``python -m loaders.events features --follow``; ``make serve`` starts it when
``EVENTS_NATS_URL`` is set, and the ``events_features_sensor`` runs it in ticks otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loaders.events.jetstream import ensure_stream
from loaders.events.settings import EventsSettings
from tributary.features.store import ApplyResult, FeatureStore, now_ms, open_store

PRUNE_SECONDS = 10.0


@dataclass
class FeaturesLoad:
    batches: int = 0
    acked: int = 0
    swept_minutes: int = 0
    applied: ApplyResult = field(default_factory=ApplyResult)


async def consume_features(
    nats_url: str | None = None,
    stream: str | None = None,
    subject: str | None = None,
    durable: str | None = None,
    store: FeatureStore | None = None,
    batch_size: int = 2000,
    fetch_timeout: float = 0.5,
    follow: bool = False,
    max_seconds: float | None = None,
    ack_wait: float | None = None,
    on_batch: Callable[[FeaturesLoad], None] | None = None,
) -> FeaturesLoad:
    """Consume until the subject is idle for ``fetch_timeout`` (``follow``: until cancelled or
    ``max_seconds``), applying and then acknowledging each batch."""
    import nats
    from nats.js.api import ConsumerConfig

    env = EventsSettings()
    stream, subject = stream or env.nats_stream, subject or env.nats_subject
    durable = durable or env.features_durable
    own_store = store is None
    store = store or open_store()
    load = FeaturesLoad()
    started = time.monotonic()
    nc = await nats.connect(nats_url or env.nats_url or "nats://127.0.0.1:4222")
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream, subject)
        sub = await js.pull_subscribe(
            subject,
            durable=durable,
            stream=stream,
            config=ConsumerConfig(
                ack_wait=ack_wait or env.features_ack_wait, max_ack_pending=4 * batch_size
            ),
        )
        load.swept_minutes += store.sweep()
        swept_at = pruned_at = time.monotonic()
        while max_seconds is None or time.monotonic() - started < max_seconds:
            try:
                msgs = await sub.fetch(batch_size, timeout=fetch_timeout)
            except TimeoutError:
                msgs = []
            if msgs:
                batch = [(m.metadata.sequence.stream, m.data) for m in msgs]
                load.applied.add(store.apply(durable, batch, now_ms()))
                # Durable in the store (with the sequence): now, and only now, acknowledge.
                for m in msgs:
                    await m.ack()
                await nc.flush()
                load.batches += 1
                load.acked += len(msgs)
                if on_batch is not None:
                    on_batch(load)
            if time.monotonic() - swept_at >= 1.0:  # a sweep is a write: once a second at most
                load.swept_minutes += store.sweep()
                swept_at = time.monotonic()
            if time.monotonic() - pruned_at >= PRUNE_SECONDS:
                await _prune(sub, store, durable)
                pruned_at = time.monotonic()
            if not msgs and not follow:
                break
        await _prune(sub, store, durable)
    finally:
        await nc.close()
        if own_store:
            store.close()
    return load


async def _prune(sub, store: FeatureStore, durable: str) -> None:
    """Forget the applied sequences JetStream will never deliver again (at or below its ack
    floor), so the store's applied set stays a few seconds of messages long."""
    info = await sub.consumer_info()
    store.prune(durable, info.ack_floor.stream_seq)


def consume_features_sync(**kwargs) -> FeaturesLoad:
    return asyncio.run(consume_features(**kwargs))
