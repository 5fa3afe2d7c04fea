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

from api.deps import snapshot
from api.errors import ApiError, ErrorBody

router = APIRouter(prefix="/api", tags=["players"])
Snapshot = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot("players"))]
DateParam = Annotated[
    str | None,
    Query(description="A UTC day `YYYY-MM-DD`; without it, all-time figures."),
]

BAD_REQUEST = {400: {"model": ErrorBody, "description": "malformed date or missing user_id"}}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    user_id: Annotated[str | None, Query(description="The player.")] = None,
    date_: Annotated[DateParam, Query(alias="date")] = None,
) -> UserStats:
    """A user's figures for one UTC day, or all time."""
    day = _parse_date(date_)
    if not user_id:
        raise ApiError(400, "user_id is required", "user_id")
    row = con.execute(
        """
        WITH reg AS (
            SELECT user_id, country, registration_date_local_timezone
            FROM players.registration_data WHERE user_id = $user
        ),
        sessions AS (
            SELECT
                coalesce(sum(session_count) FILTER (WHERE $day IS NULL OR "date" = $day), 0),
                coalesce(sum(time_spent_in_game) FILTER (WHERE $day IS NULL OR "date" = $day), 0),
                max("date") FILTER (WHERE $day IS NULL OR "date" <= $day)
            FROM players.session_data WHERE user_id = $user
        ),
        matches AS (
            SELECT
                coalesce(sum(total_duration), 0),
                coalesce(sum(total_points_home), 0),
                coalesce(sum(total_points_away), 0)
            FROM players.match_data
            WHERE user_id = $user AND ($day IS NULL OR "date" = $day)
        )
        SELECT * FROM reg, sessions, matches
        """,
        {"user": user_id, "day": day},
    ).fetchone()
    if row is None:
        raise ApiError(404, "unknown user", "user_id")
    user, country, registered, sessions, game_seconds, last_day, match_seconds, home, away = row
    reference = day or datetime.now(UTC).date()
    return UserStats(
        user_id=user,
        country=country,
        registration_date_local_timezone=registered,
        days_since_last_login=(reference - last_day).days if last_day else None,
        number_of_sessions=int(sessions),
        time_spent_in_game=int(game_seconds),
        total_points_won_home=int(home),
        total_points_won_away=int(away),
        percentage_time_spent_in_match=percentage(int(match_seconds), int(game_seconds)),
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
