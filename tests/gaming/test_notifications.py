"""S3 event notifications on NATS (real NATS on 127.0.0.1:4222): the follow service's fast path."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

from loaders.gaming.notifications import NatsNotices, landed_files
from loaders.incremental_files import Landing
from tests.conftest import require_service

NATS_URL = "nats://127.0.0.1:4222"


def notification(key: str, event: str = "ObjectCreated:Put", bucket: str = "data") -> bytes:
    record = {
        "eventName": event,
        "s3": {
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 120, "eTag": "0123abcd"},
        },
    }
    return json.dumps({"Records": [record]}).encode()


def test_an_s3_notification_names_the_file_as_a_listing_would():
    landing = Landing("s3://data/test")
    [f] = landed_files(notification("test/0001.json"), landing)
    assert (f.path, f.fingerprint, f.size) == ("s3://data/test/0001.json", "etag:0123abcd:120", 120)
    # Keys arrive URL-encoded; the rest is not ours or not an event file.
    assert [g.path for g in landed_files(notification("test/a+b%C3%A9.json"), landing)] == [
        "s3://data/test/a bé.json"
    ]
    assert landed_files(notification("test/0002.json", "ObjectRemoved:Delete"), landing) == []
    assert landed_files(notification("other/0003.json"), landing) == []
    assert landed_files(notification("test/0004.json", bucket="elsewhere"), landing) == []
    assert landed_files(notification("test/.0005.json.tmp"), landing) == []
    assert landed_files(b"not json", landing) == []


def test_notices_wake_the_loop_as_soon_as_a_message_arrives():
    require_service("NATS", "127.0.0.1", 4222)
    import nats

    subject = f"test.gaming.{uuid.uuid4().hex}"
    notices = NatsNotices(NATS_URL, subject, Landing("s3://data/test"))
    notices.start()
    try:
        assert notices.ready(10)

        async def publish() -> None:
            client = await nats.connect(NATS_URL)
            await client.publish(subject, notification("test/0007.json"))
            await client.flush()
            await client.close()

        started = time.monotonic()
        asyncio.run(publish())
        notices.wait(threading.Event(), timeout=5)
        waited = time.monotonic() - started
        files = notices.drain()
    finally:
        notices.stop()
    assert [f.path for f in files] == ["s3://data/test/0007.json"]
    assert waited < 2
    assert notices.drain() == []
