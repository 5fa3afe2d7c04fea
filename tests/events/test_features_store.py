"""The online feature store, both backends (embedded SQLite and the real Redis on this machine,
a random key prefix per test), against the window rule computed in plain Python."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import require_service
from tests.events.features_helpers import MINUTE, TYPES, expected, feature_line
from tributary.features.redis_store import RedisStore
from tributary.features.sqlite_store import SqliteStore
from tributary.features.store import FeatureStore, StoreOwned
from tributary.features.windows import as_dict

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_764_000_000_000 + 17_345  # not on a minute boundary
HOUR, DAY = 3_600_000, 86_400_000


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path) -> Iterator[FeatureStore]:
    if request.param == "sqlite":
        s: FeatureStore = SqliteStore(tmp_path / "features.sqlite")
        yield s
        s.close()
        return
    require_service("redis", "127.0.0.1", 6379)
    s = RedisStore(REDIS_URL, f"tributary-test:{uuid.uuid4().hex[:12]}:")
    yield s
    s.drop()
    s.close()


@pytest.fixture
def both(tmp_path) -> Iterator[list[FeatureStore]]:
    require_service("redis", "127.0.0.1", 6379)
    redis_store = RedisStore(REDIS_URL, f"tributary-test:{uuid.uuid4().hex[:12]}:")
    stores = [SqliteStore(tmp_path / "features.sqlite"), redis_store]
    yield stores
    redis_store.drop()
    for s in stores:
        s.close()


def read_one(store: FeatureStore, product: str, at: int) -> dict:
    as_of, [counts] = store.read([product], clock=lambda: at)
    assert as_of == at
    return as_dict(counts)


def test_an_event_exactly_one_hour_old_leaves_the_hour_window(store):
    now = T0
    lines = [
        feature_line("product_impression", "p", now - HOUR),  # exactly 1 h: out of 1h
        feature_line("product_impression", "p", now - HOUR + 1),  # same minute as -1h: out too
        feature_line("product_liked", "p", now - HOUR + 60_000 - 17_345),  # next minute: in
        feature_line("product_liked", "p", now - HOUR + 60_000 - 17_346),  # minute of -1h: out
        feature_line("conversation_started", "p", now - DAY),  # exactly 1 d: out of 1d
        feature_line("conversation_started", "p", now - 7 * DAY),  # exactly 7 d: out of 7d
        feature_line("conversation_started", "p", now - 7 * DAY + 60_000),  # in 7d
        feature_line("product_impression", "p", now - 1),  # 1 ms old: in every window
    ]
    store.apply("c", list(enumerate(lines, 1)), now=now + 5)
    got = read_one(store, "p", now + 5)
    assert got == {
        "impressions": {"1h": 1, "1d": 3, "7d": 3},
        "likes": {"1h": 1, "1d": 2, "7d": 2},
        "conversations": {"1h": 0, "1d": 0, "7d": 2},
    }
    # The hour window's old edge is the minute boundary: at the end of the minute the event
    # stamped (now - 1 h + 1 ms) is still out, and one minute later the liked one leaves too.
    edge = (now // MINUTE + 1) * MINUTE - 1
    assert read_one(store, "p", edge)["impressions"]["1h"] == 1
    assert read_one(store, "p", edge + 1)["likes"]["1h"] == 0


def test_the_window_is_right_open_at_as_of(store):
    now = T0
    lines = [
        feature_line("product_impression", "p", now),  # at the clock: ahead of it
        feature_line("product_impression", "p", now + 10),
        feature_line("product_impression", "p", now - 1),
    ]
    store.apply("c", list(enumerate(lines, 1)), now=now)
    assert read_one(store, "p", now)["impressions"] == {"1h": 1, "1d": 1, "7d": 1}
    assert read_one(store, "p", now + 1)["impressions"]["1h"] == 2
    assert read_one(store, "p", now + 11)["impressions"]["1h"] == 3
    store.sweep(now + 11)  # the held events are bucketed once the clock has passed them
    assert read_one(store, "p", now + 11)["impressions"] == {"1h": 3, "1d": 3, "7d": 3}


def test_unknown_product_is_zeros_and_redelivery_does_not_count_twice(store):
    id_ = str(uuid.uuid4())
    line = feature_line("product_liked", "p", T0 - 1000, id_=id_)
    first = store.apply("c", [(1, line), (2, b"not json"), (3, line)], now=T0)
    assert (first.counted, first.ignored, first.duplicates) == (1, 1, 1)
    again = store.apply("c", [(2, b"not json"), (3, line)], now=T0)  # redelivered after a crash
    assert again.redelivered == 2 and again.counted == 0
    copy = store.apply("c", [(4, line.replace(id_.encode(), id_.upper().encode()))], now=T0)
    assert copy.duplicates == 1  # the same event published again (ids compare case-blind)
    assert store.applied_sequence("c") == 4
    _, counts = store.read(["p", "nobody"], clock=lambda: T0)
    assert as_dict(counts[0])["likes"] == {"1h": 1, "1d": 1, "7d": 1}
    assert as_dict(counts[1]) == {n: {"1h": 0, "1d": 0, "7d": 0} for n in counts_names()}
    with pytest.raises(StoreOwned):
        store.apply("another-durable", [(5, line)], now=T0)


def counts_names() -> list[str]:
    return ["impressions", "likes", "conversations"]


def test_both_stores_agree_with_the_rule_over_nine_simulated_days(both):
    """Random events (late, early, ahead of the clock, duplicated), sweeps at random moments
    (and a day without any), reads at random clocks: every answer equals the rule's, in both
    stores, which therefore agree."""
    rng = random.Random(4)
    products = [f"p{i}" for i in range(6)]
    clock = T0
    seq = 0
    counted: dict[tuple[int, str], tuple[str, int, int]] = {}
    recent: list[bytes] = []
    for step in range(260):
        clock += rng.choice([1, 500, 20_000, 60_000, 61_000, 600_000, 3 * HOUR, 30 * HOUR])
        batch = []
        for _ in range(rng.randint(0, 12)):
            seq += 1
            if recent and rng.random() < 0.1:
                batch.append((seq, rng.choice(recent)))  # the same event published again
                continue
            age = rng.choice([0, 1, 59_000, HOUR - 1, HOUR, DAY, 6 * DAY, 7 * DAY + 2 * MINUTE])
            at = clock - rng.randint(-2_000, age)
            product, metric = rng.choice(products), rng.randrange(3)
            id_ = str(uuid.uuid4())
            line = feature_line(TYPES[metric], product, at, id_=id_)
            recent = [*recent[-20:], line]
            batch.append((seq, line))
            counted[(at // MINUTE, id_)] = (product, metric, at)
        if rng.random() < 0.1 and batch:  # a redelivered batch
            for s in both:
                s.apply("c", batch, now=clock)
        results = [s.apply("c", batch, now=clock) for s in both]
        assert results[0] == results[1]
        if rng.random() < 0.6 and step % 50 != 7:
            for s in both:
                s.sweep(clock)
        at = clock + rng.choice([0, 1, 30_000, 70_000])
        ps = rng.sample(products, 3)
        answers = [s.read(ps, clock=lambda at=at: at) for s in both]
        assert answers[0] == answers[1]
        for p, got in zip(ps, answers[0][1], strict=True):
            assert as_dict(got) == expected(counted.values(), p, at), (step, p)
    assert len(counted) > 600


def test_two_writers_at_once_count_each_message_once(store, tmp_path):
    """The dedicated consumer process and a sensor tick may apply the same redelivered
    messages at the same moment: the transactions serialise (SQLite) or retry (Redis)."""
    import threading

    twin = (
        SqliteStore(store.path)
        if isinstance(store, SqliteStore)
        else RedisStore(REDIS_URL, store.prefix)
    )
    rng = random.Random(9)
    events = [("p", rng.randrange(3), T0 - rng.randint(1, 3 * HOUR)) for _ in range(600)]
    messages = [(i + 1, feature_line(TYPES[m], p, at)) for i, (p, m, at) in enumerate(events)]
    batches = [messages[i : i + 25] for i in range(0, len(messages), 25)]

    def run(s: FeatureStore, order: list) -> None:
        for batch in order:
            s.apply("c", batch, now=T0)
            s.sweep(T0)

    threads = [
        threading.Thread(target=run, args=(store, batches)),
        threading.Thread(target=run, args=(twin, batches[::-1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    twin.close()
    assert read_one(store, "p", T0) == expected(events, "p", T0)
    assert store.applied_sequence("c") == 600
