"""``GET /ctr``: CTR = purchases / product views per bucket, platform and product.

Reads the commerce serving snapshot (``loaders/commerce/publish.py``). Timestamps are
wall-clock times of ``COMMERCE_TIMEZONE``, ``YYYY-MM-DD HH:MM:SS`` with whole minutes (the data
has minute grain). Buckets start at ``startTimestamp`` and step by ``aggregation`` minutes over
[start, end); the last bucket may be shorter. One entry per bucket x platform x product with at
least one view, ordered by timestamp, platform, product. ``CTR`` is a JSON number with exactly
four decimals, rounded half-up, computed in integers (no float rounding).

An unfiltered month of daily buckets is ~450k entries (~40 MB of JSON), so nothing is done per
entry in Python: DuckDB sums integer rows grouped by (bucket number, series id) and sorts them;
the body is then assembled column-wise in Arrow from pieces formatted once — the bucket starts,
each series' escaped ``"platform"``/``"product"`` part (stored in the snapshot), the CTR's
integer part and one of 10,000 precomputed fractions — and is one slice of the joined buffer.
A float cannot keep ``0.0150``'s trailing zero through a JSON encoder; this never uses one.

Every client error is a 400 naming the parameter. Parameters are always bound; the only text
chosen in Python is the table name (from a fixed set) and the number of ``$s<i>`` placeholders.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import snapshot
from api.errors import ApiError, ErrorBody
from tributary.platforms import PLATFORMS

router = APIRouter(tags=["commerce"])
Snapshot = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot("commerce"))]

MAX_BUCKETS = 50_000
MAX_PRODUCT_LENGTH = 64
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_INTEGER_RE = re.compile(r"[0-9]{1,9}")
# The schema of what the hand validation below accepts (it answers 400 naming the parameter).
WHOLE_MINUTE = {"pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:00$"}


class CtrEntry(BaseModel):
    timestamp: str = Field(description="Start of the bucket, `YYYY-MM-DD HH:MM:SS`.")
    platform: str = Field(
        description="iOS, Android or MobileWeb.", json_schema_extra={"enum": list(PLATFORMS)}
    )
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


@dataclass(frozen=True)
class Series:
    """The snapshot's (platform, product) series: ids and the entries' constant middle part."""

    version: str
    middles: pa.Array  # index = series_id (0 unused): '","platform":…,"product":…,"CTR":'
    ids: dict[str, dict[str, int]]  # product → platform → series_id
    platform_range: dict[str, tuple[int, int]]  # platform → first, last series_id

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, version: str) -> Series:
        table = con.execute(
            "SELECT series_id, platform, product, entry_middle "
            "FROM commerce.ctr_series ORDER BY series_id"
        ).fetch_arrow_table()
        numbers = table.column("series_id").to_pylist()
        if numbers != list(range(1, len(numbers) + 1)):
            raise RuntimeError("commerce.ctr_series ids are not 1..n")
        ids: dict[str, dict[str, int]] = {}
        ranges: dict[str, tuple[int, int]] = {}
        for sid, plat, prod in zip(
            numbers,
            table.column("platform").to_pylist(),
            table.column("product").to_pylist(),
            strict=True,
        ):
            ids.setdefault(prod, {})[plat] = sid
            first, _ = ranges.get(plat, (sid, sid))
            ranges[plat] = (first, sid)
        middles = pa.concat_arrays(
            [pa.nulls(1, pa.string()), table.column("entry_middle").combine_chunks()]
        )
        return cls(version, middles, ids, ranges)


_series_lock = threading.Lock()
_series_cache: list[Series] = []


def series(con: duckdb.DuckDBPyConnection) -> Series:
    """The series of the snapshot ``con`` reads, loaded once per snapshot version."""
    (version,) = con.execute(
        "SELECT value FROM main.snapshot_info WHERE key = 'version'"
    ).fetchone()
    with _series_lock:
        if _series_cache and _series_cache[0].version == version:
            return _series_cache[0]
    loaded = Series.load(con, version)
    with _series_lock:
        _series_cache[:] = [loaded]
    return loaded


def _query(table: str, series_filter: str) -> str:
    return f"""
    SELECT ((minute_idx - $start) // $aggregation)::INTEGER AS k, series_id,
           sum(views)::BIGINT AS v, sum(purchases)::BIGINT AS p
    FROM {table}
    WHERE minute_idx >= $start AND minute_idx < $end {series_filter}
    GROUP BY ALL
    HAVING sum(views) > 0
    ORDER BY k, series_id
    """


def _minute_index(t: datetime) -> int:
    return int((t - EPOCH).total_seconds()) // 60


EPOCH = datetime(1970, 1, 1)
# '.0000}' … '.9999}': the fractional part of every possible CTR and the entry's closing brace.
_FRACTIONS = pa.array([f".{i:04d}}}" for i in range(10_000)])


def render(rows: pa.Table, start: datetime, aggregation: int, middles: pa.Array) -> bytes:
    """``[{"timestamp":…,"platform":…,"product":…,"CTR":0.0150},…]`` from sorted
    (k, series_id, v, p) rows, column-wise: CTR half-up to four decimals in integers
    (``(2 * p * 10000 + v) // (2 * v)``), each distinct piece (bucket start, integer part,
    fraction) formatted once and gathered with ``take``, and the pieces joined in Arrow."""
    if rows.num_rows == 0:
        return b"[]"
    k = rows.column("k").to_numpy()
    v = rows.column("v").to_numpy()
    p = rows.column("p").to_numpy()
    ctr_e4 = (2 * p * 10_000 + v) // (2 * v)
    # Rows are sorted by k, so the buckets present lie in [k[0], k[-1]] (at most MAX_BUCKETS).
    first = int(k[0])
    starts = pa.array(
        [
            ',{"timestamp":"'
            + (start + timedelta(minutes=b * aggregation)).strftime(TIMESTAMP_FORMAT)
            for b in range(first, int(k[-1]) + 1)
        ]
    )
    wholes = ctr_e4 // 10_000  # almost always 0 or 1: a small table indexed by value
    if wholes.max() < 10_000:
        whole_text = pa.array([str(w) for w in range(int(wholes.max()) + 1)])
    else:  # more purchases than views by orders of magnitude: index the distinct values
        distinct, wholes = np.unique(wholes, return_inverse=True)
        whole_text = pa.array([str(w) for w in distinct])
    entries = pc.binary_join_element_wise(
        starts.take(pa.array(k - first)),
        middles.take(rows.column("series_id").combine_chunks()),
        whole_text.take(pa.array(wholes)),
        _FRACTIONS.take(pa.array(ctr_e4 % 10_000)),
        "",
    )
    return _json_list(entries)


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
            alias="startTimestamp",
            description="First bucket start, e.g. `2016-01-03 13:55:00`.",
            json_schema_extra=WHOLE_MINUTE,
        ),
    ] = None,
    end_timestamp: Annotated[
        str | None,
        Query(
            alias="endTimestamp",
            description="End of the range (exclusive).",
            json_schema_extra=WHOLE_MINUTE,
        ),
    ] = None,
    aggregation: Annotated[
        str | None,
        Query(
            description="Bucket length in minutes, a positive integer.",
            json_schema_extra={"type": "integer", "minimum": 1, "maximum": 999_999_999},
        ),
    ] = None,
    product: Annotated[
        str | None,
        Query(
            description="Only this product (codeColor).",
            json_schema_extra={"minLength": 1, "maxLength": MAX_PRODUCT_LENGTH},
        ),
    ] = None,
    platform: Annotated[
        str | None,
        Query(description="Only this platform.", json_schema_extra={"enum": list(PLATFORMS)}),
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
    known = series(con)
    params: dict[str, object] = {
        "start": _minute_index(start),
        "end": _minute_index(end),
        "aggregation": minutes,
    }
    series_filter = ""
    if product is not None:
        chosen = known.ids.get(product, {})
        ids = sorted(sid for plat, sid in chosen.items() if platform in (None, plat))
        if not ids:
            return Response(content=b"[]", media_type="application/json")
        names = [f"s{i}" for i in range(len(ids))]
        series_filter = f"AND series_id IN ({', '.join('$' + n for n in names)})"
        params.update(zip(names, ids, strict=True))
    elif platform is not None:
        if platform not in known.platform_range:
            return Response(content=b"[]", media_type="application/json")
        params["first"], params["last"] = known.platform_range[platform]
        series_filter = "AND series_id BETWEEN $first AND $last"
    rows = con.execute(_query(_table(start, end, minutes), series_filter), params)
    body = render(rows.fetch_arrow_table(), start, minutes, known.middles)
    return Response(content=body, media_type="application/json")


def _json_list(entries: pa.Array) -> bytes:
    """``[e1,e2,…]`` from entries rendered as ``,{…}``: the Arrow values buffer already holds
    them back to back in order, so the body is one slice of it (no Python string per entry)."""
    if len(entries) == 0:
        return b"[]"
    if pa.types.is_large_string(entries.type):
        width = np.int64
    else:
        entries, width = entries.cast(pa.string()), np.int32
    offsets = np.frombuffer(
        entries.buffers()[1],
        dtype=width,
        count=len(entries) + 1,
        offset=entries.offset * np.dtype(width).itemsize,
    )
    values = memoryview(entries.buffers()[2])[int(offsets[0]) + 1 : int(offsets[-1])]
    return b"".join((b"[", values, b"]"))
