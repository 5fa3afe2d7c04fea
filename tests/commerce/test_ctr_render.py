"""The /ctr body renderer on its own: exact half-up decimals, bucket starts, huge ratios."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa

from api.routers.commerce import render

MIDDLES = pa.array(
    [
        None,
        '","platform":"Android","product":"p\\"1","CTR":',
        '","platform":"iOS","product":"p2","CTR":',
    ]
)


def rows(entries: list[tuple[int, int, int, int]]) -> pa.Table:
    k, series, v, p = zip(*entries, strict=True)
    return pa.table(
        {
            "k": pa.array(k, pa.int32()),
            "series_id": pa.array(series, pa.int32()),
            "v": pa.array(v, pa.int64()),
            "p": pa.array(p, pa.int64()),
        }
    )


def test_values_are_exact_half_up_with_four_decimals():
    cases = [(1, 6), (1, 8), (1, 20_000), (0, 7), (5, 4), (3, 40_000), (2, 3), (10**9, 1)]
    body = render(
        rows([(i, 1 + i % 2, v, p) for i, (p, v) in enumerate(cases)]),
        datetime(2016, 1, 3, 13, 55),
        90,
        MIDDLES,
    )
    text = body.decode()
    parsed = json.loads(body, parse_float=str)
    assert len(parsed) == len(cases)
    for i, ((p, v), entry) in enumerate(zip(cases, parsed, strict=True)):
        want = (Decimal(p) / Decimal(v)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        assert entry["CTR"] == f"{want:.4f}"
        assert entry["product"] == ('p"1' if i % 2 == 0 else "p2")
    assert '"CTR":0.1250}' in text and '"CTR":0.0001}' in text and '"CTR":1000000000.0000}' in text
    assert [e["timestamp"] for e in parsed[:3]] == [
        "2016-01-03 13:55:00",
        "2016-01-03 15:25:00",
        "2016-01-03 16:55:00",
    ]


def test_buckets_start_at_the_first_present_one_and_empty_is_an_empty_list():
    body = render(rows([(40, 2, 3, 1), (41, 2, 3, 0)]), datetime(2016, 1, 1), 1440, MIDDLES)
    assert [e["timestamp"] for e in json.loads(body)] == [
        "2016-02-10 00:00:00",
        "2016-02-11 00:00:00",
    ]
    assert render(rows([(0, 1, 1, 0)]).slice(0, 0), datetime(2016, 1, 1), 5, MIDDLES) == b"[]"
