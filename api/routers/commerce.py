"""``GET /ctr``: CTR = purchases / product views per bucket, platform and product.

Reads the commerce serving snapshot (``loaders/commerce/publish.py``). Timestamps are
wall-clock times of ``COMMERCE_TIMEZONE``, ``YYYY-MM-DD HH:MM:SS`` with whole minutes (the data
has minute grain). Buckets start at ``startTimestamp`` and step by ``aggregation`` minutes over
[start, end); the last bucket may be shorter. One entry per bucket x platform x product with at
least one view, ordered by timestamp, platform, product. ``CTR`` is a JSON number with exactly
four decimals, rounded half-up, computed in integers (no float rounding). A float cannot keep
``0.0150``'s trailing zero through a JSON encoder, so DuckDB renders each entry's JSON text
(strings escaped with ``to_json``) and the body is one slice of the resulting Arrow buffer.

Every client error is a 400 naming the parameter. Parameters are always bound; the only text
chosen in Python is the table name, from a fixed set.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import duckdb
import numpy as np
import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import snapshot
from api.errors import ApiError, ErrorBody
from loaders.commerce.settings import PLATFORMS

router = APIRouter(tags=["commerce"])
Snapshot = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot("commerce"))]

MAX_BUCKETS = 50_000
MAX_PRODUCT_LENGTH = 64
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_INTEGER_RE = re.compile(r"[0-9]{1,9}")


class CtrEntry(BaseModel):
    timestamp: str = Field(description="Start of the bucket, `YYYY-MM-DD HH:MM:SS`.")
    platform: str = Field(description="iOS, Android or MobileWeb.")
    product: str = Field(description="Product id (codeColor).")
    CTR: float = Field(description="purchases / views, exactly four decimals, half-up (`0.0150`).")


ERRORS = {400: {"model": ErrorBody, "description": "invalid or missing parameter"}}


def _timestamp(name: str, value: str | None) -> datetime:
    if value is None or value == "":
        raise ApiError(400, f"{name} is required", name)
    if not _TIMESTAMP_RE.fullmatch(value):
        raise ApiError(400, f"{name} must be in the format YYYY-MM-DD HH:MM:SS", name)
    try:
        parsed = datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        raise ApiError(400, f"{name} is not a real date-time", name) from None
    if parsed.second:
        raise ApiError(
            400, f"{name} must be a whole minute (seconds 00): data has minute grain", name
        )
    return parsed


def _aggregation(value: str | None) -> int:
    if value is None or value == "":
        raise ApiError(400, "aggregation is required", "aggregation")
    if not _INTEGER_RE.fullmatch(value) or int(value) <= 0:
        raise ApiError(400, "aggregation must be a positive integer (minutes)", "aggregation")
    return int(value)


def _table(start: datetime, end: datetime, aggregation: int) -> str:
    """The coarsest pre-aggregated table that answers the request exactly."""

    def aligned(t: datetime, minutes: int) -> bool:
        return (t.hour * 60 + t.minute) % minutes == 0

    if aggregation % 1440 == 0 and aligned(start, 1440) and aligned(end, 1440):
        return "commerce.ctr_day"
    if aggregation % 60 == 0 and aligned(start, 60) and aligned(end, 60):
        return "commerce.ctr_hour"
    return "commerce.ctr_minute"


def _query(table: str, product: bool, platform: bool) -> str:
    filters = ["minute_at >= $start", "minute_at < $end"]
    if product:
        filters.append("product = $product")
    if platform:
        filters.append("platform = $platform")
    return f"""
    WITH src AS (
        SELECT minute_at, platform, product, views, purchases
        FROM {table}
        WHERE {" AND ".join(filters)}
    ),
    bucketed AS (
        SELECT (epoch(minute_at) - epoch($start))::BIGINT // (60 * $aggregation) AS k,
               platform, product, sum(views) AS v, sum(purchases) AS p
        FROM src
        GROUP BY ALL
        HAVING sum(views) > 0
    ),
    rated AS (
        -- half-up to 4 decimals, in integers: floor((2 * p * 10000 + v) / (2 * v))
        SELECT k, platform, product,
               ((2 * p::HUGEINT * 10000 + v) // (2 * v))::BIGINT AS ctr_e4
        FROM bucketed
    ),
    rendered AS (
        SELECT k, platform, product,
               ',{{"timestamp":"'
               || strftime($start + to_minutes(k * $aggregation), '%Y-%m-%d %H:%M:%S')
               || '","platform":' || to_json(platform)
               || ',"product":' || to_json(product)
               || ',"CTR":' || (ctr_e4 // 10000)::VARCHAR || '.'
               || lpad((ctr_e4 % 10000)::VARCHAR, 4, '0') || '}}' AS j
        FROM rated
    )
    SELECT j FROM rendered ORDER BY k, platform, product
    """


@router.get(
    "/ctr",
    response_class=Response,
    responses={
        200: {"model": list[CtrEntry], "description": "One entry per bucket, platform, product"},
        **ERRORS,
    },
)
def ctr(
    con: Snapshot,
    start_timestamp: Annotated[
        str | None,
        Query(
            alias="startTimestamp", description="First bucket start, e.g. `2016-01-03 13:55:00`."
        ),
    ] = None,
    end_timestamp: Annotated[
        str | None, Query(alias="endTimestamp", description="End of the range (exclusive).")
    ] = None,
    aggregation: Annotated[
        str | None, Query(description="Bucket length in minutes, a positive integer.")
    ] = None,
    product: Annotated[str | None, Query(description="Only this product (codeColor).")] = None,
    platform: Annotated[
        str | None, Query(description="Only this platform: iOS, Android or MobileWeb.")
    ] = None,
) -> Response:
    """CTR per bucket x platform x product (see the module docstring for the exact rules)."""
    start = _timestamp("startTimestamp", start_timestamp)
    end = _timestamp("endTimestamp", end_timestamp)
    minutes = _aggregation(aggregation)
    if end <= start:
        raise ApiError(400, "endTimestamp must be after startTimestamp", "endTimestamp")
    if platform is not None and platform not in PLATFORMS:
        raise ApiError(400, f"platform must be one of {', '.join(PLATFORMS)}", "platform")
    if product is not None and not 0 < len(product) <= MAX_PRODUCT_LENGTH:
        raise ApiError(400, f"product must be 1 to {MAX_PRODUCT_LENGTH} characters", "product")
    span = int((end - start).total_seconds()) // 60
    buckets = -(-span // minutes)
    if buckets > MAX_BUCKETS:
        raise ApiError(
            400,
            f"the request spans {buckets} buckets; at most {MAX_BUCKETS} are allowed "
            "(raise aggregation or shorten the range)",
            "aggregation",
        )
    params: dict[str, object] = {"start": start, "end": end, "aggregation": minutes}
    if product is not None:
        params["product"] = product
    if platform is not None:
        params["platform"] = platform
    sql = _query(_table(start, end, minutes), product is not None, platform is not None)
    entries = con.execute(sql, params).fetch_arrow_table().column(0)
    return Response(content=_json_list(entries), media_type="application/json")


def _json_list(entries: pa.ChunkedArray) -> bytes:
    """``[e1,e2,…]`` from entries rendered as ``,{…}``: the Arrow values buffer already holds
    them back to back in order, so the body is one slice of it (no Python string per entry)."""
    if len(entries) == 0:
        return b"[]"
    arr = entries.combine_chunks()
    if pa.types.is_large_string(arr.type):
        width = np.int64
    else:
        arr, width = arr.cast(pa.string()), np.int32
    offsets = np.frombuffer(
        arr.buffers()[1],
        dtype=width,
        count=len(arr) + 1,
        offset=arr.offset * np.dtype(width).itemsize,
    )
    values = memoryview(arr.buffers()[2])[int(offsets[0]) + 1 : int(offsets[-1])]
    return b"".join((b"[", values, b"]"))
