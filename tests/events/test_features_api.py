"""``/features`` over real HTTP (uvicorn in a subprocess), fed through the real NATS stream by
the features consumer, on both stores; bad ids and batch sizes answer 422 naming the field."""

from __future__ import annotations

import asyncio
import json
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


def test_product_fast_path_in_process(data_dir, monkeypatch):
    """``GET /features/products/{id}`` answered before FastAPI's stack (``product_fast``)
    gives the route's answer; a query string, a bad id or the batch path go to the routes."""
    import threading

    from fastapi.testclient import TestClient

    from api.main import app
    from api.routers import features as router

    monkeypatch.delenv("FEATURES_REDIS_URL", raising=False)
    monkeypatch.setattr(router, "_local", threading.local())  # a store in this data dir
    now = int(time.time() * 1000)
    store = open_store()
    lines = [feature_line(TYPES[k % 3], "p-2" if k == 4 else "p-1", now - 5_000) for k in range(5)]
    store.apply("test", list(enumerate(lines, 1)), now)
    store.close()
    scope = {"type": "http", "method": "GET", "query_string": b"", "headers": []}
    start, body = router.product_fast({**scope, "path": "/features/products/p-1"})
    assert start["status"] == 200
    doc = json.loads(body)
    assert (doc["product_id"], doc["impressions"], doc["likes"]) == (
        "p-1",
        {"1h": 2, "1d": 2, "7d": 2},
        {"1h": 1, "1d": 1, "7d": 1},
    )
    http = TestClient(app)
    r = http.get("/features/products/p-1")
    assert r.status_code == 200 and {**r.json(), "as_of": 0} == {**doc, "as_of": 0}
    assert len(r.headers["x-request-id"]) == 32
    assert (
        router.product_fast({**scope, "path": "/features/products/p-1", "query_string": b"x=1"})
        is None
    )
    assert router.product_fast({**scope, "path": "/features/products/a\x01b"}) is None
    r = http.get("/features/products/a%01b")
    assert r.status_code == 422 and r.json()["error"]["field"] == "product_id"
    assert (
        router.product_fast({**scope, "method": "POST", "path": "/features/products:batch"}) is None
    )
    unknown = http.get("/features/products/never-seen").json()
    assert unknown["likes"] == {"1h": 0, "1d": 0, "7d": 0}
