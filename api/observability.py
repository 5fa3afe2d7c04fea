"""Request ids, structured access logs, Prometheus metrics and the request-body read timeout,
in one pure ASGI middleware around everything (``PUT /location``'s fast path included).

uvicorn has no body read timeout (``timeout_keep_alive`` covers idle connections only), so
``receive`` is wrapped here: while the body is incomplete, each chunk must arrive within
``API_BODY_TIMEOUT_SECONDS``, else the request gets 408 and uvicorn closes the connection.
Metrics are per process (each uvicorn worker has its own registry).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from api.deps import reader
from api.settings import ApiSettings
from tributary.serving import SnapshotMissing, SnapshotUnreadable

access = logging.getLogger("tributary.access")
REQUESTS = Counter("tributary_http_requests", "Requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "tributary_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
TIMEOUT_BODY = b'{"error":{"field":"body","reason":"request body not received in time"}}'


class BodyTimeout(Exception):
    pass


class SnapshotVersions(Collector):
    """``tributary_serving_snapshot{domain, version, state}``: read at scrape time."""

    def __init__(self, domains: list[str]) -> None:
        self.domains = domains

    def collect(self):
        family = GaugeMetricFamily(
            "tributary_serving_snapshot",
            "1 per domain: its served snapshot version, state published/unpublished/unreadable",
            labels=["domain", "version", "state"],
        )
        for domain in self.domains:
            try:
                version, state = reader(domain).info().get("version", ""), "published"
            except SnapshotUnreadable:
                version, state = "", "unreadable"
            except SnapshotMissing:
                version, state = "", "unpublished"
            family.add_metric([domain, version, state], 1)
        yield family


def metrics_body() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def install_access_log() -> None:
    """JSON lines on stderr unless the process configured ``tributary.access`` itself."""
    if access.handlers or not ApiSettings().access_log:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False


def request_id(scope) -> bytes:
    """The caller's ``X-Request-ID`` if well-formed, else a new random one (32 hex digits)."""
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            if _REQUEST_ID.fullmatch(value):
                return value
            break
    return os.urandom(16).hex().encode()


_children: dict[tuple[str, str, int], tuple] = {}


def record(scope, template: str, status: int, seconds: float, request_id: bytes) -> None:
    """Count and time one answered request under its route template; log it (access log)."""
    key = (scope["method"], template, status)
    pair = _children.get(key)
    if pair is None:  # labels() takes a lock and builds a tuple: once per key, not per request
        pair = _children[key] = (
            REQUESTS.labels(key[0], template, str(status)),
            LATENCY.labels(key[0], template),
        )
    pair[0].inc()
    pair[1].observe(seconds)
    if access.isEnabledFor(logging.INFO):
        access.info(
            orjson.dumps(
                {
                    "request_id": request_id.decode(),
                    "method": key[0],
                    "path": scope["path"],
                    "route": template,
                    "status": status,
                    "seconds": round(seconds, 6),
                }
            ).decode()
        )


class Observability:
    def __init__(self, app) -> None:
        self.app = app
        self.body_timeout = ApiSettings().body_timeout_seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        started, status, body_done, responded = time.perf_counter(), 500, False, False

        async def timed_receive():
            nonlocal body_done
            if body_done:  # afterwards only a disconnect can come: no deadline
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            body_done = message["type"] != "http.request" or not message.get("more_body")
            return message

        async def send_with_id(message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid)]
            await send(message)

        try:
            await self.app(scope, timed_receive, send_with_id)
        except BodyTimeout:
            if not responded:
                await send_with_id(_json_start(408, TIMEOUT_BODY))
                await send({"type": "http.response.body", "body": TIMEOUT_BODY})
        finally:
            route = scope.get("route")
            # No route: a middleware's own path (PUT /location), or unknown (bounded labels).
            template = route.path if route else scope["path"] if status != 404 else "unmatched"
            record(scope, template, status, time.perf_counter() - started, rid)


def _json_start(status: int, body: bytes) -> dict:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
