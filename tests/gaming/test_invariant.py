"""The loader side of issue 13's invariant: every line the gaming loader accepts builds through
dbt. Hypothesis writes event files whose fields sit at the edges of what validation allows (and
just past them): any Unicode user and event name incl. control characters and non-BMP, the
years 1 and 9999, leap days, spend with 18 integer digits and 10 decimals as text or as a JSON
number, huge and tiny doubles, negative and exponent forms, non-JSON lines. Then
``gaming_refresh`` must succeed with every check passing, and ``gaming.revenue`` must hold the
exact per-user sums of the accepted spends (computed here with ``decimal``)."""

from __future__ import annotations

import json
import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import rows, run_job
from tests.gaming.helpers import land, store_rows

pytestmark = pytest.mark.slow

TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\u2028", "\U0001f600" * 64, " ", "x" * 500, "é\ud7ff"]),
)
TIMESTAMP = st.one_of(
    st.sampled_from(
        [
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2016-02-29 12:00:00",
            "2017-02-29 12:00:00",  # not a real date: quarantined
            "2017-12-19T10:41:49",  # wrong form: quarantined
        ]
    ),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")),
)
DIGITS18 = "9" * 18
SPEND = st.one_of(
    st.none(),
    st.sampled_from(
        [
            f"{DIGITS18}.{'9' * 10}",  # the largest accepted text
            f"1{DIGITS18}",  # 19 integer digits: quarantined
            "0.0000000001",
            "0.00000000001",  # 11 decimals: quarantined
            "0",
            "-1",
            "1e5",
            " 1",
            "",
        ]
    ),
    st.integers(0, 10**19).map(str),
    st.integers(0, 10**18 - 1),  # a JSON integer
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=Decimal(DIGITS18), places=10, allow_nan=False).map(str),
    st.booleans(),
)


@st.composite
def line(draw) -> str:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.sampled_from(["not json", "[]", "null", '{"user": 1}', "", "{"]))
    doc = {"user": draw(TEXT), "timestamp": draw(TIMESTAMP), "evtname": draw(TEXT)}
    spend = draw(SPEND)
    if spend is not None:
        doc["spend"] = spend
    return json.dumps(doc, ensure_ascii=draw(st.booleans()))


def expected_revenue() -> list[tuple[str, str]]:
    """Per user, the exact sum of the accepted spend texts, half up to cents."""
    totals: dict[str, Decimal] = {}
    for user, spend in rows('SELECT "user", spend FROM gaming_raw.events'):
        totals[user] = totals.get(user, Decimal(0)) + Decimal(spend or 0)
    cents = Decimal("0.01")
    return sorted((u, str(t.quantize(cents, ROUND_HALF_UP))) for u, t in totals.items())


def test_accepted_lines_build_the_marts(data_dir, dbt_manifest):
    seen = {"valid": 0, "quarantined": 0}

    # A build is ~20 s: few, large examples, and no shrinking (the failing file is printed).
    @settings(
        max_examples=3,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(line(), min_size=1, max_size=300))
    def build(lines: list[str]) -> None:
        shutil.rmtree(data_dir)
        data_dir.mkdir()
        land("edges.json", lines)
        result = run_job("gaming_refresh")
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
        assert not failed, failed
        read, valid, bad = rows(
            "SELECT sum(lines_read), sum(valid_rows), sum(quarantined_rows) FROM gaming_raw.files"
        )[0]
        assert read == len(lines)
        assert valid + bad == read
        assert rows('SELECT count(*) FROM gaming."user"') == [(valid,)]
        assert sorted(rows("SELECT * FROM gaming.revenue")) == expected_revenue()
        # The real-time store the API serves agrees to the cent, built without dbt.
        assert sorted(store_rows('SELECT "user", total_spend FROM revenue')) == expected_revenue()
        seen["valid"] += valid
        seen["quarantined"] += bad

    build()
    assert seen["valid"] and seen["quarantined"], seen  # both sides of the rules were reached
