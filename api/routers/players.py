"""``/api``: user-stats and game-stats of the football-manager game, from the players snapshot.

Both endpoints answer 400 (not the API's usual 422) for a malformed ``date`` or a missing
``user_id``, as the players issue asks; errors keep the shared shape.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DATE, IDENTIFIER, snapshot
from api.errors import ApiError, ErrorBody

router = APIRouter(prefix="/api", tags=["players"])
Snapshot = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot("players"))]
DateParam = Annotated[
    str | None,
    Query(
        description="A UTC day `YYYY-MM-DD`; without it, all-time figures.",
        json_schema_extra={"format": "date", "pattern": DATE},
    ),
]

BAD_REQUEST = {400: {"model": ErrorBody, "description": "malformed date or missing user_id"}}
_DATE, _USER = re.compile(DATE), re.compile(IDENTIFIER)
USER_DAYS_SQL = """
SELECT country, registration_date_local_timezone, "date", session_count,
       time_spent_in_game, match_seconds, points_home, points_away
FROM players.user_days WHERE user_id = $user
"""


class UserStats(BaseModel):
    user_id: str
    country: str
    registration_date_local_timezone: str = Field(
        description="Registration time in the country's time zone, `YYYY-MM-DD HH:MM:SS`."
    )
    days_since_last_login: int | None = Field(
        description="Whole days from the last session start (on or before `date`) to `date` "
        "(to today, UTC, without `date`); null without any session."
    )
    number_of_sessions: int
    time_spent_in_game: int = Field(description="Seconds.")
    total_points_won_home: int
    total_points_won_away: int
    percentage_time_spent_in_match: float | None = Field(
        description="Match seconds / seconds in game * 100, two decimals; null without game time."
    )


class GameStats(BaseModel):
    date: str | None = Field(description="The UTC day asked for; null for all time.")
    daily_active_users: int = Field(
        description="Users with a session that day (all time: with at least one session)."
    )
    number_of_sessions: int
    average_sessions_per_active_user: float | None
    top_points: int | None = Field(description="Most points (home + away) won in the period.")
    top_users: list[str] = Field(description="The user or users with `top_points`.")


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, "date must be a real day written YYYY-MM-DD", "date") from exc


def percentage(match_seconds: int, game_seconds: int) -> float | None:
    return round(match_seconds / game_seconds * 100, 2) if game_seconds else None


@router.get(
    "/user-stats", response_model=UserStats, responses={**BAD_REQUEST, 404: {"model": ErrorBody}}
)
def user_stats(
    con: Snapshot,
    user_id: Annotated[
        str | None, Query(description="The player.", json_schema_extra={"pattern": IDENTIFIER})
    ] = None,
    date_: Annotated[DateParam, Query(alias="date")] = None,
) -> UserStats:
    """A user's figures for one UTC day, or all time: one indexed lookup of the user's days
    (``players.user_days`` in the snapshot), summed here."""
    day = _parse_date(date_)
    if not user_id:
        raise ApiError(400, "user_id is required", "user_id")
    if not _USER.match(user_id):
        raise ApiError(400, "user_id must not contain control characters", "user_id")
    rows = con.execute(USER_DAYS_SQL, {"user": user_id}).fetchall()
    if not rows:
        raise ApiError(404, "unknown user", "user_id")
    country, registered = rows[0][0], rows[0][1]
    days = [
        r[2:] for r in rows if r[2] is not None
    ]  # (date, sessions, game s, match s, home, away)
    period = days if day is None else [d for d in days if d[0] == day]
    last_day = max((d[0] for d in days if d[1] > 0 and (day is None or d[0] <= day)), default=None)
    game_seconds = sum(d[2] for d in period)
    reference = day or datetime.now(UTC).date()
    return UserStats(
        user_id=user_id,
        country=country,
        registration_date_local_timezone=registered,
        days_since_last_login=(reference - last_day).days if last_day else None,
        number_of_sessions=sum(d[1] for d in period),
        time_spent_in_game=game_seconds,
        total_points_won_home=sum(d[4] for d in period),
        total_points_won_away=sum(d[5] for d in period),
        percentage_time_spent_in_match=percentage(sum(d[3] for d in period), game_seconds),
    )


@router.get("/game-stats", response_model=GameStats, responses=BAD_REQUEST)
def game_stats(con: Snapshot, date_: Annotated[DateParam, Query(alias="date")] = None) -> GameStats:
    """Active users, sessions, sessions per active user and the top scorers of a day or all time."""
    day = _parse_date(date_)
    row = con.execute(
        """
        SELECT active_users, number_of_sessions, average_sessions_per_active_user,
               top_points, top_users
        FROM players.game_stats WHERE stats_date IS NOT DISTINCT FROM $day
        """,
        {"day": day},
    ).fetchone()
    active, sessions, average, top_points, top_users = row or (0, 0, None, None, [])
    return GameStats(
        date=day.isoformat() if day else None,
        daily_active_users=int(active),
        number_of_sessions=int(sessions),
        average_sessions_per_active_user=average,
        top_points=None if top_points is None else int(top_points),
        top_users=list(top_users),
    )
