"""Offline/online agreement: the same events landed in the lake (files) and applied to the
online store (through the real NATS stream); the refresh job builds
``events.events_product_features`` and its check compares a sample with the online store."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from loaders.events import features, stream
from loaders.events.features_check import compare
from tests.conftest import run_job
from tests.events.features_helpers import MINUTE, TYPES, feature_line
from tests.events.helpers import event, write_lines
from tests.events.test_features_stream import NATS_URL, names_kwargs
from tests.events.test_features_stream import names as names
from tributary import warehouse
from tributary.features.store import open_store


@pytest.mark.slow
def test_the_check_passes_on_agreement_and_fails_on_any_difference(
    events_env,
    names,
    monkeypatch,
):
    monkeypatch.delenv("FEATURES_REDIS_URL", raising=False)
    rng = random.Random(14)
    now = int(time.time() * 1000)
    lines: list = []
    for _ in range(400):
        age = rng.choice(
            [rng.randint(3 * MINUTE, 70 * MINUTE), rng.randint(3 * MINUTE, 8 * 1440 * MINUTE)]
        )
        lines.append(feature_line(rng.choice(TYPES), f"p{rng.randint(0, 40)}", now - age))
    lines += [lines[i] for i in range(0, 400, 25)]  # published twice
    lines.append(event("product_sold", now - 5 * MINUTE, product_id="p1"))  # not a feature
    lines.append(feature_line("product_liked", "", now - 4 * MINUTE))  # no product: ignored
    lines.append(b"not json")
    write_lines(events_env["landing"], "0001.json", lines)
    raw = [
        line if isinstance(line, bytes) else __import__("json").dumps(line).encode()
        for line in lines
    ]
    asyncio.run(stream.publish_lines(raw, NATS_URL, names["stream"], names["subject"]))
    load = features.consume_features_sync(nats_url=NATS_URL, **names_kwargs(names))
    # (a copy of an event older than the week counts as expired, not as a duplicate)
    assert load.applied.duplicates + load.applied.expired >= 16 and load.applied.counted > 300

    result = run_job("events_refresh")
    assert result.success
    checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    agreement = checks["features_agree_with_online_store"]
    assert agreement.passed, agreement.metadata
    assert agreement.metadata["products_compared"].value == 41
    assert agreement.metadata["differing"].value == 0

    # One more event in the online store only: the comparison names that product.
    store = open_store()
    store.apply(names["durable"], [(10**9, feature_line("product_liked", "p7", now - 10 * MINUTE))])
    with warehouse.connect(read_only=True) as con:
        check = compare(con, store)
    store.close()
    assert not check.passed
    assert [d["product_id"] for d in check.differing] == ["p7"]
