"""``/gaming``: revenue per user and a user's events, from the gaming real-time store
(``serving/gaming/realtime.sqlite``, updated a file at a time by the loader)."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import IDENTIFIER, snapshot
from api.errors import ApiError, ErrorBody

router = APIRouter(prefix="/gaming", tags=["gaming"])
Store = Annotated[sqlite3.Connection, Depends(snapshot("gaming"))]
User = Annotated[
    str, Path(max_length=256, pattern=IDENTIFIER, description="The player (`user` field).")
]

NOT_FOUND = {404: {"model": ErrorBody, "description": "unknown user"}}


class Revenue(BaseModel):
    user: str
    total_spend: str = Field(description="Exact sum of spend with two decimals, e.g. `11.98`.")


class Event(BaseModel):
    timestamp: str = Field(description="As sent: `YYYY-MM-DD HH:MM:SS`.")
    evtname: str
    spend: str | None = Field(None, description="Exact decimal text; null when the event had none.")


class EventPage(BaseModel):
    user: str
    events: list[Event]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null at the end."
    )


@router.get("/revenue/{user}", response_model=Revenue, responses=NOT_FOUND)
def revenue(user: User, con: Store) -> Revenue:
    """Total spend of one user (`gaming.revenue`, served from the real-time store)."""
    row = con.execute('SELECT "user", total_spend FROM revenue WHERE "user" = ?', [user]).fetchone()
    if row is None:
        raise ApiError(404, "unknown user", "user")
    return Revenue(user=row[0], total_spend=row[1])


def _encode(position: tuple[str, str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, source_file, line = json.loads(raw)
        return str(ts), str(source_file), int(line)
    except (binascii.Error, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ApiError(422, "not a cursor returned by this endpoint", "cursor") from exc


@router.get("/users/{user}/events", response_model=EventPage, responses=NOT_FOUND)
def user_events(
    user: User,
    con: Store,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page.")] = 100,
    cursor: Annotated[str | None, Query(max_length=2048, description="From `next_cursor`.")] = None,
) -> EventPage:
    """A user's valid events in time order (ties by file and line), paginated by cursor."""
    after = ("", "", 0) if cursor is None else _decode(cursor)
    rows = con.execute(
        """
        SELECT "timestamp", evtname, spend, source_file, line_number
        FROM user_events
        WHERE "user" = ? AND ("timestamp", source_file, line_number) > (?, ?, ?)
        ORDER BY "timestamp", source_file, line_number
        LIMIT ?
        """,
        [user, *after, limit + 1],
    ).fetchall()
    if not rows and cursor is None:
        known = con.execute('SELECT 1 FROM revenue WHERE "user" = ?', [user]).fetchone()
        if known is None:
            raise ApiError(404, "unknown user", "user")
    page = rows[:limit]
    next_cursor = _encode((page[-1][0], page[-1][3], page[-1][4])) if len(rows) > limit else None
    return EventPage(
        user=user,
        events=[Event(timestamp=r[0], evtname=r[1], spend=r[2]) for r in page],
        next_cursor=next_cursor,
    )
