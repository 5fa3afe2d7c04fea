"""``/location``: the write path for the mobile app (``PUT /location``) and the stored
one-minute averages (``GET /location/{user_id}/minutes``), straight from the location store.

``PUT`` is lean on purpose (it is the hot path at thousands of requests a second per worker):
the body is read with a size cap, parsed with orjson and validated by hand
(``tributary.location.points``), then handed to the process's group committer, and the 200 is sent
only after the transaction holding the point has committed. The pydantic models below are
the OpenAPI contract of the same shapes.
"""

from __future__ import annotations

import hmac
import logging
import threading
from datetime import datetime
from fractions import Fraction
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import TIMESTAMP
from api.errors import ApiError, ErrorBody
from tributary.location.committer import GroupCommitter, Rejected
from tributary.location.points import (
    MAX_USER_ID_LENGTH,
    Invalid,
    parse,
    parse_timestamp,
    user_id_error,
)
from tributary.location.settings import LocationSettings
from tributary.location.store import MinuteRow, Store, open_store

USER_ID_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"  # what user_id_error accepts

router = APIRouter(prefix="/location", tags=["location"])
log = logging.getLogger("tributary.location")

ACCEPTED = b'{"status":"stored"}'
DUPLICATE = b'{"status":"duplicate"}'


class LocationPoint(BaseModel):
    """One point as the app sends it (unknown extra fields are ignored)."""

    timestamp: str = Field(
        description="Device-local wall-clock time `YYYY-MM-DD HH:MM:SS`, no offset.",
        examples=["2017-01-01 13:05:12"],
    )
    lat: float = Field(ge=-90, le=90, examples=[40.701])
    long: float = Field(ge=-180, le=180, examples=[-73.916])
    accuracy: float = Field(ge=0, le=100_000, description="metres", examples=[11.3000021])
    speed: float = Field(ge=0, le=1_000, description="metres a second", examples=[1.3999992])
    user_id: str = Field(
        min_length=1,
        max_length=MAX_USER_ID_LENGTH,
        pattern=USER_ID_PATTERN,
        description="no control characters",
        examples=["a1"],
    )


class Stored(BaseModel):
    status: str = Field(
        description="`stored`: the point was new; `duplicate`: an earlier point with the same "
        "user_id and timestamp was kept and this one changed nothing."
    )


class MinuteAverage(BaseModel):
    minute: str = Field(description="UTC minute `YYYY-MM-DD HH:MM:00`.")
    minute_local: str = Field(description="The same minute on the device's clock.")
    time_zone: str = Field(description="IANA zone of the minute's first point.")
    lat: float
    long: float
    accuracy: float
    speed: float
    points: int = Field(description="Points averaged.")


_settings = cache(LocationSettings)  # read once per process


@cache
def _committer() -> GroupCommitter:
    return GroupCommitter(_settings().max_batch, _settings().batch_interval_ms / 1000)


_local = threading.local()


def _thread_store() -> Store:
    """A store connection per threadpool thread (reads, and the naive write baseline)."""
    store = getattr(_local, "store", None)
    if store is None:
        store = _local.store = open_store()
    return store


def _error(field: str, reason: str) -> bytes:
    return Invalid([(field, reason)]).body()


INTERNAL_ERROR = b'{"error":{"reason":"internal error"}}'


async def _store_point(headers: dict[bytes, bytes], body: bytes | None) -> tuple[int, bytes]:
    """The whole PUT: (status, JSON body). ``body`` None: it was over the size limit."""
    config = _settings()
    keys, limit, naive = config.api_keys, config.max_body_bytes, config.write_mode == "naive"
    if keys:
        given = headers.get(b"x-api-key", b"")
        if not any(hmac.compare_digest(given, k.encode()) for k in keys):
            return 401, _error("X-API-Key", "missing or not a valid API key")
    if body is None:
        return 400, _error("body", f"larger than {limit} bytes")
    try:
        point = parse(body)
    except Invalid as exc:
        return 400, exc.body()
    if naive:
        accepted = await run_in_threadpool(lambda: _thread_store().write_naive(point))
    else:
        try:
            accepted = await _committer().submit(point)
        except Rejected:
            return 400, _error("body", "the store refused this point")
    return 200, ACCEPTED if accepted else DUPLICATE


class WritePath:
    """ASGI middleware answering ``PUT /location`` before FastAPI's routing and dependency
    machinery (measured: most of the per-request CPU of a trivial FastAPI endpoint); every
    other request passes through. The route below has the same behaviour and carries the
    OpenAPI contract."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT" or scope["path"] != "/location":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = _settings().max_body_bytes
        declared = headers.get(b"content-length", b"")
        body: bytes | None = b""
        if declared.isdigit() and int(declared) > limit:
            body = None
        else:
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > limit:
                    body = None
                    break
        try:
            status, answer = await _store_point(headers, body)
        except Exception:
            log.exception("PUT /location failed")
            status, answer = 500, INTERNAL_ERROR
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(answer)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


@router.put(
    "",
    response_model=Stored,
    responses={
        400: {"model": ErrorBody, "description": "invalid or malformed point, each field named"},
        401: {"model": ErrorBody, "description": "missing or wrong X-API-Key"},
        500: {"model": ErrorBody, "description": "unexpected error (no details)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": LocationPoint.model_json_schema()}},
        }
    },
)
async def put_location(request: Request) -> Response:
    """Record one point durably: the 200 is sent after the point's transaction committed.
    A repeat of an accepted (user_id, timestamp) also gets 200 and changes nothing.
    Served by the ``WritePath`` middleware when installed (same behaviour)."""
    headers = {k.encode(): v.encode() for k, v in request.headers.items()}
    body = await _read_body(request, _settings().max_body_bytes)
    status, answer = await _store_point(headers, body)
    return Response(answer, status, media_type="application/json")


UTC_TIME = {"pattern": TIMESTAMP}  # what parse_timestamp accepts (400 otherwise)


def _time_param(name: str, value: str) -> datetime:
    parsed = parse_timestamp(value)
    if isinstance(parsed, str):
        raise ApiError(400, parsed, name)
    return parsed


def _average(total, points: int) -> float:
    """The exact mean, rounded once to the nearest float."""
    return float(Fraction(total) / points)


def _minute(row: MinuteRow) -> MinuteAverage:
    return MinuteAverage(
        minute=row.minute_utc.isoformat(" "),  # (strftime's %Y drops a year's leading zeros)
        minute_local=row.minute_local.isoformat(" "),
        time_zone=row.time_zone,
        lat=_average(row.sum_lat, row.points),
        long=_average(row.sum_long, row.points),
        accuracy=_average(row.sum_accuracy, row.points),
        speed=_average(row.sum_speed, row.points),
        points=row.points,
    )


@router.get(
    "/{user_id}/minutes",
    response_model=list[MinuteAverage],
    responses={400: {"model": ErrorBody, "description": "malformed start, end or user_id"}},
)
def user_minutes(
    # Checked by user_id_error (400, as for the body's user_id); the schema documents the rule.
    user_id: Annotated[
        str,
        Path(json_schema_extra={"maxLength": MAX_USER_ID_LENGTH, "pattern": USER_ID_PATTERN}),
    ],
    start: Annotated[str, Query(description="UTC, inclusive.", json_schema_extra=UTC_TIME)],
    end: Annotated[str, Query(description="UTC, exclusive.", json_schema_extra=UTC_TIME)],
) -> list[MinuteAverage]:
    """A user's one-minute averages with `start <= minute < end` (UTC), oldest first."""
    if reason := user_id_error(user_id):
        raise ApiError(400, reason, "user_id")
    lo, hi = _time_param("start", start), _time_param("end", end)
    if hi < lo:
        raise ApiError(400, "must not be before start", "end")
    return [_minute(r) for r in _thread_store().minutes(user_id, lo, hi)]
