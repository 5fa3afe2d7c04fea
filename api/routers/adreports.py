"""``/adreports``: ad revenue per day, app and country, with each day's completeness."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import DATE, snapshot
from api.errors import ApiError, ErrorBody

router = APIRouter(prefix="/adreports", tags=["adreports"])
Snapshot = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot("adreports"))]

MAX_RANGE_DAYS = 366
# All three used with fullmatch ($ would let a trailing newline through); fromisoformat alone
# takes 20160101 and 2016-W01-1. The schema carries the same patterns, anchored.
COUNTRY = re.compile(r"[A-Z]{2}")
APP = re.compile(r"[A-Za-z0-9._:/~-]{1,128}")
DAY_PATTERN = re.compile(DATE.strip("^$"))
DAY = {"format": "date", "pattern": DATE}
BAD_REQUEST = {400: {"model": ErrorBody, "description": "a parameter is missing or invalid"}}


class RevenueRow(BaseModel):
    date: dt.date
    app_id: str
    app_name: str | None
    country: str
    impressions: int
    clicks: int
    earnings: str = Field(
        description="Exact decimal currency units, six decimals, e.g. `12.345678`."
    )
    completeness_status: str = Field(description="`complete`, `low_volume` or `stale`.")


class DayStatus(BaseModel):
    date: dt.date
    completeness_status: str = Field(
        description="`complete`, `low_volume`, `stale`, `missing` (pulled, never accepted) "
        "or `not_pulled`."
    )
    failed_checks: str | None = None
    warned_checks: str | None = None
    error: str | None = None


class RevenueReport(BaseModel):
    start: dt.date
    end: dt.date
    rows: list[RevenueRow]
    days: list[DayStatus] = Field(description="Every day of the range, gaps included.")


def _date(value: str | None, field: str) -> dt.date:
    if value is None or value == "":
        raise ApiError(400, "required, as YYYY-MM-DD", field)
    try:
        if DAY_PATTERN.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(400, "not a date YYYY-MM-DD", field)


@router.get("/revenue", response_model=RevenueReport, responses=BAD_REQUEST)
def revenue(
    con: Snapshot,
    start: Annotated[
        str | None, Query(description="First day, `YYYY-MM-DD` (UTC).", json_schema_extra=DAY)
    ] = None,
    end: Annotated[str | None, Query(description="Last day.", json_schema_extra=DAY)] = None,
    app: Annotated[
        str | None,
        Query(description="Only this app id.", json_schema_extra={"pattern": f"^{APP.pattern}$"}),
    ] = None,
    country: Annotated[
        str | None,
        Query(
            description="Only this ISO country code.",
            json_schema_extra={"pattern": f"^{COUNTRY.pattern}$"},
        ),
    ] = None,
) -> RevenueReport:
    """Revenue per day, app and country (`adreports.daily_revenue`) and every day's status."""
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        raise ApiError(400, "must not be before start", "end")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ApiError(400, f"the range may span at most {MAX_RANGE_DAYS} days", "end")
    if app is not None and not APP.fullmatch(app):
        raise ApiError(400, "not an app id", "app")
    if country is not None and not COUNTRY.fullmatch(country):
        raise ApiError(400, "must be a two-letter upper-case ISO country code", "country")
    rows = con.execute(
        """
        SELECT report_date, app_id, app_name, country, impressions, clicks,
               CAST(earnings AS VARCHAR), completeness_status
        FROM adreports.daily_revenue
        WHERE report_date BETWEEN ? AND ?
          AND (CAST(? AS VARCHAR) IS NULL OR app_id = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR country = ?)
        ORDER BY report_date, app_id, country
        """,
        [first, last, app, app, country, country],
    ).fetchall()
    status = {
        r[0]: r
        for r in con.execute(
            """
            SELECT report_date, completeness_status, failed_checks, warned_checks, pull_error
            FROM adreports.daily_status WHERE report_date BETWEEN ? AND ?
            """,
            [first, last],
        ).fetchall()
    }
    days = []
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        s = status.get(day)
        days.append(
            DayStatus(date=day, completeness_status="not_pulled")
            if s is None
            else DayStatus(
                date=day,
                completeness_status=s[1],
                failed_checks=s[2],
                warned_checks=s[3],
                error=s[4],
            )
        )
    return RevenueReport(
        start=first,
        end=last,
        rows=[
            RevenueRow(
                date=r[0],
                app_id=r[1],
                app_name=r[2],
                country=r[3],
                impressions=r[4],
                clicks=r[5],
                earnings=r[6],
                completeness_status=r[7],
            )
            for r in rows
        ],
        days=days,
    )
