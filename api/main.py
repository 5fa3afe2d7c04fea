"""``uvicorn api.main:app``: the Tributary API.

It reads only the serving snapshots (``$TRIBUTARY_DATA_DIR/serving``), never the warehouse,
so it starts on an empty data dir and never waits for or blocks the pipeline.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, Response
from pydantic import BaseModel, Field

from api import errors, observability
from api.deps import reader
from api.routers import adreports, commerce, events, features, gaming, location, players
from tributary.serving import SnapshotMissing, SnapshotUnreadable

DOMAINS = ["gaming", "players", "commerce", "adreports", "events"]


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    # Everything imported so far lives as long as the worker: move it out of the collector's
    # reach. A full collection over it takes ~50 ms, a stall of every request in flight (it
    # showed as the p99 of PUT /location); after freezing, collections scan only new objects.
    observability.install_access_log()
    gc.freeze()
    yield


STATS_TEMPLATE = events.STATS_ROUTE.path
PRODUCT_TEMPLATE = features.PRODUCT_ROUTE.path


class Api(FastAPI):
    """FastAPI, with the hottest reads answered before its middleware stack: a well-formed
    ``GET /events/users/{user_id}/stats`` of a known user (``events.stats_fast``: one SQLite
    read and a few byte joins) and ``GET /features/products/{product_id}``
    (``features.product_fast``: one store read), with the same request id, metrics and access
    log as every other request (``observability.record``). Everything else, errors included,
    takes the ordinary path."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            started, path = time.perf_counter(), scope["path"]
            answer = template = None
            if path.startswith("/events/"):
                answer, template = events.stats_fast(scope), STATS_TEMPLATE
            elif path.startswith("/features/products/"):
                answer, template = features.product_fast(scope), PRODUCT_TEMPLATE
            if answer is not None:
                start, body = answer
                rid = observability.request_id(scope)
                start["headers"].append((b"x-request-id", rid))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                observability.record(scope, template, 200, time.perf_counter() - started, rid)
                return
        await super().__call__(scope, receive, send)


app = Api(
    lifespan=lifespan,
    title="Tributary API",
    version="0.1.0",
    description="Serving layer of the Tributary warehouse. Errors share one shape: "
    '`{"error": {"field": …, "reason": …}}`.',
    responses=errors.RESPONSES,
)
errors.install(app)
app.include_router(gaming.router)
app.include_router(players.router)
app.include_router(adreports.router)
app.include_router(location.router)
app.add_middleware(location.WritePath)
app.include_router(commerce.router)
app.include_router(events.router)
app.include_router(features.router)
app.add_middleware(observability.Observability)  # outermost middleware: sees PUT's fast path
observability.REGISTRY.register(observability.SnapshotVersions(DOMAINS))


def openapi() -> dict:
    """FastAPI's schema, with optional parameters as their plain type: a query parameter is
    absent or a string, never JSON null (``anyOf [X, null]`` only blurs X's pattern/format)."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for param in operation.get("parameters", []):
                    alternatives = param["schema"].pop("anyOf", None) or []
                    plain = [a for a in alternatives if a != {"type": "null"}]
                    if len(plain) == 1:
                        param["schema"] = {**plain[0], **param["schema"]}
    return app.openapi_schema


app.openapi = openapi


class DomainHealth(BaseModel):
    published: bool
    published_at: str | None = None
    version: str | None = None
    error: str | None = Field(None, description="Why the published snapshot cannot be read.")


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="`degraded`: a published domain's snapshot is unreadable (its endpoints "
        "answer 503); a domain not published yet is not an error."
    )
    domains: dict[str, DomainHealth]


@app.get("/health", response_model=Health, tags=["meta"])
def health() -> Health:
    """Liveness, and when each domain's data was last published."""
    domains = {}
    for domain in DOMAINS:
        try:
            info = reader(domain).info()
            domains[domain] = DomainHealth(
                published=True, published_at=info.get("published_at"), version=info.get("version")
            )
        except SnapshotUnreadable as exc:
            domains[domain] = DomainHealth(published=True, error=exc.reason)
        except SnapshotMissing:
            domains[domain] = DomainHealth(published=False)
    degraded = any(d.error for d in domains.values())
    return Health(status="degraded" if degraded else "ok", domains=domains)


@app.get(
    "/metrics",
    tags=["meta"],
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    """Prometheus text format (this worker): requests and latency per route, snapshot versions,
    location group-commit batch sizes."""
    body, content_type = observability.metrics_body()
    return Response(body, media_type=content_type)
