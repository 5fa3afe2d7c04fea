"""``/events``: one user's figures per UTC day (scenario 3) and one user's whole history
(scenario 2), both keyed by ``attributes.user_id``.

- ``GET /events/users/{user_id}/stats`` reads the SQLite snapshot published after each dbt
  build (``loaders/events/serving.py``): one primary-key range read, no scan;
- ``GET /events/users/{user_id}/events`` reads the lake's user-ordered layout
  (``loaders/events/by_user.py``): the user's bucket, a few row groups.

A user never seen (neither as a user nor as a product owner) is 404; a malformed id, limit,
cursor or date is 422 naming the field, in the API's one error shape.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from api.deps import reader
from api.errors import ApiError, ErrorBody
from loaders.events.history import After, HistoryReader
from loaders.events.serving import DOMAIN
from loaders.events.settings import EventsSettings
from tributary.serving import SnapshotMissing

router = APIRouter(prefix="/events", tags=["events"])
EPOCH = date(1970, 1, 1)
USER_ID = r"^[^\x00-\x1f\x7f/]+$"  # no control characters, no "/" (a path segment)
EVENT_TYPE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"  # the lake's rule for data.type
CURSOR = r"^[A-Za-z0-9_-]{1,200}$"  # base64url of "<created_at ms>:<id>"
_CURSOR_BODY = re.compile(r"(-?[0-9]{1,16}):([0-9a-f-]{36})")
MAX_LIMIT = 1000
MAX_DAYS = 90

UserId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=256,
        pattern=USER_ID,
        description="`attributes.user_id` of the user's events (no control characters, no `/`).",
    ),
]
NOT_FOUND = {404: {"model": ErrorBody, "description": "a user never seen in the lake"}}

# One seek into each primary key: the user's days in the window, and a marker row if the user
# is known at all (a known user without figures gets zeros, an unknown one 404).
STATS_SQL = """
SELECT day, products_contacted, favourited, products_sold FROM user_days
WHERE user_id = ?1 AND day BETWEEN ?2 AND ?3
UNION ALL
SELECT NULL, 0, 0, 0 FROM users WHERE user_id = ?1
"""


class DayFigures(BaseModel):
    products_contacted: int = Field(
        ge=0, description="Distinct products in the user's `conversation_started` events."
    )
    favourited: int = Field(
        ge=0, description="`product_liked` events whose `owner_id` is the user."
    )
    products_sold: int = Field(ge=0, description="The user's `product_sold` events (as seller).")


class DayStats(DayFigures):
    date: str = Field(
        description="UTC day of `meta.created_at`, `YYYY-MM-DD`.",
        json_schema_extra={"format": "date"},
    )


class UserStats(BaseModel):
    user_id: str
    days: int = Field(ge=1, le=MAX_DAYS)
    series: list[DayStats] = Field(
        description="The last `days` UTC days ending today, oldest first; zeros on days "
        "without activity."
    )
    totals: DayFigures = Field(description="Sums over `series`.")


@functools.cache
def _pinned_today() -> date | None:
    return EventsSettings().stats_today


def today() -> date:
    """The API's UTC day (``EVENTS_STATS_TODAY`` pins it)."""
    return _pinned_today() or datetime.now(UTC).date()


@functools.lru_cache(maxsize=256)
def window(end: date, days: int) -> tuple[str, ...]:
    """The ``days`` UTC days ending ``end``, oldest first, as ``YYYY-MM-DD``."""
    return tuple((end - timedelta(days=days - 1 - k)).isoformat() for k in range(days))


@functools.lru_cache(maxsize=256)
def _series_parts(end: date, days: int) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """Per day of the window: the JSON of a series entry up to its first figure, and the
    whole entry of a day without activity (most days of most users)."""
    heads = tuple(b'{"date":"%s","products_contacted":' % d.encode() for d in window(end, days))
    return heads, tuple(h + b'0,"favourited":0,"products_sold":0}' for h in heads)


def stats_body(user_id: str, days: int) -> bytes | None:
    """The stats answer as JSON bytes, or None for a user never seen.

    Written as bytes from cached pieces (a window's dates and empty days are the same for
    every user): the same bytes as ``orjson.dumps`` of the response's dict
    (``tests/events/test_stats_fast.py`` holds them equal), at a fraction of the cost of
    building 90 dicts per request."""
    end = today()
    last = (end - EPOCH).days
    first = last - days + 1
    rows = reader(DOMAIN).connection().execute(STATS_SQL, (user_id, first, last)).fetchall()
    if not rows:
        return None
    heads, entries = _series_parts(end, days)
    series = list(entries)
    tc = tf = ts = 0
    for day, c, f, s in rows:
        if day is not None:
            k = day - first
            series[k] = heads[k] + b'%d,"favourited":%d,"products_sold":%d}' % (c, f, s)
            tc, tf, ts = tc + c, tf + f, ts + s
    return b"".join(
        (
            b'{"user_id":',
            orjson.dumps(user_id),
            b',"days":%d,"series":[' % days,
            b",".join(series),
            b'],"totals":{"products_contacted":%d,"favourited":%d,"products_sold":%d}}'
            % (tc, tf, ts),
        )
    )


@router.get("/users/{user_id}/stats", response_model=UserStats, responses=NOT_FOUND)
async def user_stats(
    user_id: UserId,
    days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="How many UTC days, ending today.")
    ] = 30,
) -> Response:
    """A user's products contacted, times favourited and products sold per UTC day over the
    last `days` days (today included), with totals."""
    body = stats_body(user_id, days)
    if body is None:
        raise ApiError(404, "unknown user", "user_id")
    return Response(body, media_type="application/json")


STATS_ROUTE = router.routes[-1]
_STATS_PATH = re.compile(r"/events/users/([^\x00-\x1f\x7f/]{1,256})/stats")
_DAYS = re.compile(rb"days=([1-9][0-9]?)")
_JSON = [(b"content-type", b"application/json")]


def stats_fast(scope) -> tuple[dict, bytes] | None:
    """``(response start message, body)`` of a well-formed ``GET
    /events/users/{user_id}/stats`` of a known user, else None.

    ``api.main.Api`` answers with it before FastAPI's middleware, routing, validation and
    dependency machinery (most of the CPU of a request this cheap). Anything else, including
    every error (a bad ``days``, an unknown user, no snapshot yet), goes on to the route above,
    which carries the OpenAPI contract and answers in the one error shape."""
    if scope["method"] != "GET":
        return None
    match = _STATS_PATH.fullmatch(scope["path"])
    if match is None:
        return None
    query = scope["query_string"]
    if query:
        days = _DAYS.fullmatch(query)
        if days is None:
            return None
        n = int(days[1])
        if n > MAX_DAYS:
            return None
    else:
        n = 30
    try:
        body = stats_body(match[1], n)
    except SnapshotMissing:
        return None  # the route answers 503 in the one shape
    if body is None:
        return None
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [*_JSON, (b"content-length", b"%d" % len(body))],
    }
    return start, body


class Event(BaseModel):
    id: str = Field(description="`data.id`.", json_schema_extra={"format": "uuid"})
    type: str = Field(description="`data.type`.")
    created_at: int = Field(description="`meta.created_at`, epoch milliseconds (UTC).")
    attributes: dict[str, Any] = Field(description="`data.attributes` exactly as landed.")
    meta: dict[str, Any] = Field(description="`meta` exactly as landed.")


class UserEvents(BaseModel):
    user_id: str
    events: list[Event] = Field(description="Newest first (`created_at`, then `id`, descending).")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null after the last page."
    )


history = functools.cache(HistoryReader)


def encode_cursor(after: After) -> str:
    raw = f"{after.created_ms}:{after.id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> After:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        match = _CURSOR_BODY.fullmatch(raw)
        if match is None:
            raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(422, "not a cursor returned by this endpoint", "cursor") from exc
    return After(int(match[1]), match[2])


def known_user(user_id: str) -> bool:
    """Seen as a user or an owner (the stats snapshot's users), or with events in the
    layout (landed after the last build)."""
    try:
        con = reader(DOMAIN).connection()
        if con.execute("SELECT 1 FROM users WHERE user_id = ?", (user_id,)).fetchone():
            return True
    except SnapshotMissing:
        pass
    return history().has_events(user_id)


def utc(value: datetime | None, field: str) -> datetime | None:
    """``value`` in UTC; 422 when the offset moves it out of the calendar (year 1 or 9999)."""
    try:
        return None if value is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ApiError(422, "out of the supported range", field) from exc


EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE, max_length=100)]


@router.get("/users/{user_id}/events", response_model=UserEvents, responses=NOT_FOUND)
def user_events(
    user_id: UserId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events per page.")] = 100,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=CURSOR, description="`next_cursor` of the previous page."),
    ] = None,
    type_: Annotated[
        list[EventType] | None,
        Query(alias="type", max_length=50, description="Only these event types (repeatable)."),
    ] = None,
    start: Annotated[
        AwareDatetime | None,
        Query(description="Only events with `created_at` ≥ start (RFC 3339, with offset)."),
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(description="Only events with `created_at` < end.")
    ] = None,
) -> Response:
    """Every event of the user (`attributes.user_id`), any type, all time, newest first,
    keyset-paginated: stable while new events land (no page repeats or skips an event)."""
    start, end = utc(start, "start"), utc(end, "end")
    if start is not None and end is not None and end <= start:
        raise ApiError(422, "end must be after start", "end")
    after = None if cursor is None else decode_cursor(cursor)
    rows = history().page(user_id, limit + 1, after, type_, start, end)
    if not rows and cursor is None and not known_user(user_id):
        raise ApiError(404, "unknown user", "user_id")
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    body = {
        "user_id": user_id,
        "events": [
            {
                "id": r.id,
                "type": r.type,
                "created_at": r.created_ms,
                "attributes": orjson.Fragment(r.attributes),
                "meta": orjson.Fragment(r.meta),
            }
            for r in page
        ],
        "next_cursor": encode_cursor(After(last.created_ms, last.id)) if last else None,
    }
    return Response(orjson.dumps(body), media_type="application/json")
