"""S3 event notifications on NATS: the follow service hears of a new object at once.

With ``GAMING_NATS_URL`` set, the service subscribes to ``GAMING_NATS_SUBJECT``; each message is
an S3 event notification (``{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket":
{"name": …}, "object": {"key": …, "size": …, "eTag": …}}}]}``, as S3, MinIO or a bridge from
SQS/SNS publish it). Every ``ObjectCreated`` record of an event file under the landing prefix
becomes a candidate with the same fingerprint a listing would give it, and wakes the loop. The
notifications only make noticing faster: the polling watcher and the periodic full listing
stay, so a lost message or a NATS outage delays a file, never loses it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from urllib.parse import unquote_plus

from loaders.incremental_files import EVENT_FILE_SUFFIXES, LandedFile, Landing, fingerprint

log = logging.getLogger("loaders.gaming.notifications")


def landed_files(message: bytes, landing: Landing) -> list[LandedFile]:
    """The event files an S3 event notification announces under ``landing`` (others: none)."""
    try:
        records = json.loads(message).get("Records") or []
    except (ValueError, AttributeError):
        log.warning("not an S3 event notification: %r", message[:200])
        return []
    bucket_root = landing.root.rstrip("/") + "/"
    found = []
    for record in records:
        try:
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            s3 = record["s3"]
            key = unquote_plus(s3["object"]["key"])  # notifications URL-encode keys
            path = f"{s3['bucket']['name']}/{key}"
            size = int(s3["object"].get("size") or 0)
            etag = s3["object"].get("eTag")
        except (KeyError, TypeError, ValueError):
            log.warning("S3 record without bucket/key: %r", record)
            continue
        name = key.rsplit("/", 1)[-1]
        if not path.startswith(bucket_root) or name.startswith((".", "_")):
            continue
        if not name.endswith(EVENT_FILE_SUFFIXES):
            continue
        info = {"ETag": etag, "size": size}
        found.append(LandedFile(f"{landing.protocol}://{path}", fingerprint(info), size))
    return found


class NatsNotices(threading.Thread):
    """Subscribes in a background thread (its own asyncio loop); the service drains the files
    heard of and waits on :meth:`wait`, which returns early when one arrives."""

    def __init__(self, url: str, subject: str, landing: Landing) -> None:
        super().__init__(name="nats-notices", daemon=True)
        self.url, self.subject, self.landing = url, subject, landing
        self._files: list[LandedFile] = []
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None
        self.received = 0

    def run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._subscribe())
        finally:
            self._loop.close()

    async def _subscribe(self) -> None:
        import nats

        self._halt = asyncio.Event()

        async def on_message(msg) -> None:
            files = landed_files(msg.data, self.landing)
            self.received += 1
            if files:
                with self._lock:
                    self._files += files
                self._arrived.set()

        async def on_error(exc: Exception) -> None:
            log.warning("NATS: %s", exc)

        client = await nats.connect(
            self.url, error_cb=on_error, max_reconnect_attempts=-1, reconnect_time_wait=1
        )
        try:
            await client.subscribe(self.subject, cb=on_message)
            await client.flush()
            log.info("listening for S3 notifications on %s %s", self.url, self.subject)
            self._ready.set()
            await self._halt.wait()
        finally:
            await client.drain()

    def ready(self, timeout: float) -> bool:
        """True once subscribed."""
        return self._ready.wait(timeout)

    def drain(self) -> list[LandedFile]:
        """The files heard of since the last call."""
        self._arrived.clear()
        with self._lock:
            files, self._files = self._files, []
        return files

    def wait(self, stop: threading.Event, timeout: float) -> None:
        """Until a notification arrives, ``stop`` is set or ``timeout`` passes."""
        if not stop.is_set():
            self._arrived.wait(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._halt is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._halt.set)
        self.join(timeout=10)
