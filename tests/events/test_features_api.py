"""``/features`` over real HTTP (uvicorn in a subprocess), fed through the real NATS stream by
the features consumer, on both stores; bad ids and batch sizes answer 422 naming the field."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime

import httpx
import pytest

from loaders.events import features, stream
from tests.conftest import require_service, running_api
from tests.events.features_helpers import MINUTE, TYPES, expected, feature_line
from tests.events.test_features_stream import NATS_URL, REDIS_URL, names_kwargs
from tests.events.test_features_stream import names as names
from tributary.features.store import open_store

HOUR = 60 * MINUTE


def as_of_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, data_dir, monkeypatch):
    if request.param == "redis":
        require_service("redis", "127.0.0.1", 6379)
        monkeypatch.setenv("FEATURES_REDIS_URL", REDIS_URL)
        monkeypatch.setenv("FEATURES_REDIS_PREFIX", f"tributary-test:{uuid.uuid4().hex[:12]}:")
    else:
        monkeypatch.delenv("FEATURES_REDIS_URL", raising=False)
    yield request.param
    if request.param == "redis":
        store = open_store()
        store.drop()
        store.close()


@pytest.mark.slow
def test_features_over_http_from_the_stream(backend, names, data_dir):
    now = int(time.time() * 1000)
    ages = [
        1,
        30 * MINUTE,
        HOUR - 2 * MINUTE,
        HOUR + MINUTE,
        5 * HOUR,
        3 * 24 * HOUR,
        8 * 24 * HOUR,
    ]
    events, lines = [], []
    for i, age in enumerate(ages * 3):
        product, metric = ("p-a", "p-b")[i % 2], i % 3
        lines.append(feature_line(TYPES[metric], product, now - age))
        events.append((product, metric, now - age))
    lines.append(lines[0])  # published twice: counted once
    asyncio.run(stream.publish_lines(lines, NATS_URL, names["stream"], names["subject"]))
    load = features.consume_features_sync(nats_url=NATS_URL, **names_kwargs(names))
    assert load.acked == len(lines) and load.applied.duplicates == 1
    with running_api(data_dir) as base, httpx.Client(base_url=base) as http:
        one = http.get("/features/products/p-a")
        assert one.status_code == 200, one.text
        body = one.json()
        assert body["product_id"] == "p-a"
        counts = {k: body[k] for k in ("impressions", "likes", "conversations")}
        assert counts == expected(events, "p-a", as_of_ms(body["as_of"]))
        assert counts["impressions"]["7d"] > 0

        asked = ["p-b", "never-seen", "p-a", "p-b", "ünïcode ✓"]
        batch = http.post("/features/products:batch", json={"product_ids": asked})
        assert batch.status_code == 200, batch.text
        rows = batch.json()
        assert [r["product_id"] for r in rows] == asked
        assert len({r["as_of"] for r in rows}) == 1
        at = as_of_ms(rows[0]["as_of"])
        for row in rows:
            got = {k: row[k] for k in ("impressions", "likes", "conversations")}
            assert got == expected(events, row["product_id"], at)
        zeros = {"1h": 0, "1d": 0, "7d": 0}
        assert rows[1]["impressions"] == rows[1]["likes"] == rows[1]["conversations"] == zeros

        def error(response: httpx.Response) -> str:
            assert response.status_code in (400, 422), response.text
            return response.json()["error"]["field"]

        assert error(http.get("/features/products/a%01b")) == "product_id"
        assert error(http.get(f"/features/products/{'x' * 129}")) == "product_id"
        post = http.post
        assert error(post("/features/products:batch", json={"product_ids": []})) == "product_ids"
        too_many = {"product_ids": [f"p{i}" for i in range(501)]}
        assert error(post("/features/products:batch", json=too_many)) == "product_ids"
        ok = post("/features/products:batch", json={"product_ids": ["p"] * 500})
        assert ok.status_code == 200 and len(ok.json()) == 500
        bad_item = {"product_ids": ["p-a", "bad\x7f", "p-b"]}
        assert error(post("/features/products:batch", json=bad_item)) == "product_ids.1"
        assert error(post("/features/products:batch", json={"product_ids": ["a", 3]})) == (
            "product_ids.1"
        )
        assert error(post("/features/products:batch", json={})) == "product_ids"
        assert error(post("/features/products:batch", json={"product_ids": "p-a"})) == (
            "product_ids"
        )


def test_answers_written_as_bytes_equal_the_dicts_dumped():
    """The endpoints write each answer with one ``%`` (``_json``): the same bytes as dumping
    the response's dicts (``_body``), ids needing JSON escapes and a ms-exact ``as_of``
    included."""
    import orjson

    from api.routers.features import _body, _json

    ids = ["p-1", 'q"uo\\te', "ünï", "p-1"]
    counts = [[[i, 2 * i, 3 * i], [0, 10**12, 5], [7, 8, 9 + i]] for i in range(len(ids))]
    for as_of in (0, 1_765_100_000_001, 1_765_100_059_999):
        parts = _json(ids, as_of, counts)
        assert b"[" + b",".join(parts) + b"]" == orjson.dumps(_body(ids, as_of, counts))
        assert [orjson.loads(p) for p in parts] == _body(ids, as_of, counts)
