"""The features consumer on the real NATS JetStream (a unique stream, subject and durable per
test) into both stores: killed with ``kill -9`` mid-run and restarted, no count is lost or
doubled; a crash between the commit and the ack is redelivered and skipped."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from loaders.events import features, stream
from tests.conftest import REPO, require_service
from tests.events.features_helpers import MINUTE, TYPES, expected, feature_line
from tributary.features.redis_store import RedisStore
from tributary.features.sqlite_store import SqliteStore
from tributary.features.windows import as_dict

NATS_URL = "nats://127.0.0.1:4222"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def names():
    require_service("nats", "127.0.0.1", 4222)
    name = f"TRIBUTARY_FEAT_{uuid.uuid4().hex[:10]}"
    yield {"stream": name, "subject": f"tributary.test.{name}", "durable": f"f{name}"}

    async def drop():
        import nats

        nc = await nats.connect(NATS_URL)
        try:
            await nc.jetstream().delete_stream(name)
        finally:
            await nc.close()

    asyncio.run(drop())


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path):
    """(environment for a consumer process, a store opened on the same data)."""
    if request.param == "sqlite":
        path = tmp_path / "features.sqlite"
        store = SqliteStore(path)
        yield {"FEATURES_SQLITE_PATH": str(path)}, store
        store.close()
        return
    require_service("redis", "127.0.0.1", 6379)
    prefix = f"tributary-test:{uuid.uuid4().hex[:12]}:"
    store = RedisStore(REDIS_URL, prefix)
    yield {"FEATURES_REDIS_URL": REDIS_URL, "FEATURES_REDIS_PREFIX": prefix}, store
    store.drop()
    store.close()


def make_events(n: int, now: int, seed: int) -> tuple[list[bytes], list[tuple[str, int, int]]]:
    """``n`` lines over the last 8 days (5 % published twice, some junk) and the unique events."""
    rng = random.Random(seed)
    lines, unique = [], []
    for i in range(n):
        if i % 20 == 19:
            lines.append(rng.choice(lines))
            continue
        if i % 97 == 0:
            lines.append(b'{"data": {"type": "product_liked"}}')
            continue
        at = now - rng.choice([rng.randint(1, 50 * MINUTE), rng.randint(1, 8 * 1440 * MINUTE)])
        product, metric = f"p{rng.randint(0, 30)}", rng.randrange(3)
        lines.append(feature_line(TYPES[metric], product, at))
        unique.append((product, metric, at))
    return lines, unique


def consumer_process(names: dict, env: dict, batch: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loaders.events",
            "features",
            "--follow",
            "--batch-size",
            str(batch),
        ],
        cwd=REPO,
        env={
            **os.environ,
            **env,
            "EVENTS_NATS_URL": NATS_URL,
            "EVENTS_NATS_STREAM": names["stream"],
            "EVENTS_NATS_SUBJECT": names["subject"],
            "EVENTS_FEATURES_DURABLE": names["durable"],
            "EVENTS_FEATURES_ACK_WAIT": "1.5",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def applied(store, durable: str) -> int:
    try:
        return store.applied_sequence(durable)
    except Exception:
        return 0


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart_loses_and_doubles_nothing(names, backend, tmp_path):
    env, store = backend
    now = int(time.time() * 1000)
    lines, unique = make_events(4000, now, seed=len(env))
    publisher = threading.Thread(
        target=lambda: asyncio.run(
            stream.publish_lines(lines, NATS_URL, names["stream"], names["subject"])
        )
    )
    publisher.start()
    kills, rng = 0, random.Random(1)
    while kills < 2:
        proc = consumer_process(names, env, batch=rng.choice([40, 100, 250]))
        started = applied(store, names["durable"])
        deadline = time.monotonic() + 60
        # let it apply some batches, then kill it at a random moment (mid-apply or mid-ack)
        while applied(store, names["durable"]) < started + 300:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the consumer made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    publisher.join()
    assert applied(store, names["durable"]) < len(lines), "killed after the end: too few events"
    time.sleep(1.6)  # unacknowledged messages of the killed consumers come back after ack_wait
    load = features.consume_features_sync(
        nats_url=NATS_URL, store=store, fetch_timeout=2.0, **names_kwargs(names)
    )
    assert load.acked > 0
    assert applied(store, names["durable"]) == len(lines)
    as_of, counts = store.read([f"p{i}" for i in range(31)])
    for i, got in enumerate(counts):
        assert as_dict(got) == expected(unique, f"p{i}", as_of), f"p{i}"
    # And the messages really were delivered more than once: the skip did the work.
    info = asyncio.run(consumer_info(names))
    assert info.num_redelivered > 0 or load.applied.redelivered > 0


def names_kwargs(names: dict) -> dict:
    return {"stream": names["stream"], "subject": names["subject"], "durable": names["durable"]}


async def consumer_info(names: dict):
    import nats

    nc = await nats.connect(NATS_URL)
    try:
        return await nc.jetstream().consumer_info(names["stream"], names["durable"])
    finally:
        await nc.close()


def test_a_crash_between_the_commit_and_the_ack_is_skipped_on_redelivery(
    names, tmp_path: Path, monkeypatch
):
    store = SqliteStore(tmp_path / "features.sqlite")
    now = int(time.time() * 1000)
    lines, unique = make_events(300, now, seed=3)
    asyncio.run(stream.publish_lines(lines, NATS_URL, names["stream"], names["subject"]))
    real = store.apply
    calls = {"n": 0}

    def apply_then_die(*args, **kwargs):
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed after the commit, before the ack")
        return result

    monkeypatch.setattr(store, "apply", apply_then_die)
    with pytest.raises(KeyboardInterrupt):
        features.consume_features_sync(
            nats_url=NATS_URL, store=store, batch_size=100, ack_wait=1.0, **names_kwargs(names)
        )
    monkeypatch.setattr(store, "apply", real)
    assert store.applied_sequence(names["durable"]) == 200  # two batches committed, one acked
    time.sleep(1.2)
    load = features.consume_features_sync(
        nats_url=NATS_URL, store=store, batch_size=70, fetch_timeout=2.0, **names_kwargs(names)
    )
    assert load.acked == 200 and load.applied.redelivered == 100
    as_of, counts = store.read([f"p{i}" for i in range(31)])
    for i, got in enumerate(counts):
        assert as_dict(got) == expected(unique, f"p{i}", as_of)
    store.close()
