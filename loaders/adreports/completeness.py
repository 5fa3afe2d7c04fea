"""Is a pulled day complete? The four checks every pull of every day goes through.

- ``day_not_empty`` (error): rows of the day landed;
- ``pages_complete`` (error): every page 1..total_pages arrived (none skipped or lost);
- ``totals_match_provider`` (error): rows landed and their metric sums equal the report total
  the provider sends with every page (a truncated page or a lost row shows here);
- ``volume_vs_trailing_median`` (error below ``ADREPORTS_MIN_MEDIAN_RATIO`` of the trailing
  median of accepted days, warning below ``ADREPORTS_WARN_MEDIAN_RATIO`` of the same-weekday
  median): catches a day the provider has only partly computed yet (late data), which is
  internally consistent and would pass every other check.

A day passes when no error-level check fails and it has no ``error`` (the provider failed it
after the retries, or some of its rows were quarantined); only then do its rows replace the
day's accepted rows (:mod:`loaders.adreports.ledger`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import duckdb

from loaders.adreports.session import PageLog
from loaders.adreports.settings import AdreportsSettings

CHECKS = ["day_not_empty", "pages_complete", "totals_match_provider", "volume_vs_trailing_median"]
SUMS = ["ad_requests", "impressions", "clicks", "estimated_earnings_micros"]
TOTAL_KEYS = ["row_count", *SUMS]


@dataclass
class Outcome:
    passed: bool
    severity: str = "ERROR"  # ERROR blocks the day; WARN flags it
    detail: str = ""


@dataclass
class DayResult:
    """The verdict on one day of one pull, as stored in the ledger."""

    day: dt.date
    pull_id: str
    rows_loaded: int = 0
    loaded: dict[str, int] = field(default_factory=dict)
    provider_total: dict[str, int] = field(default_factory=dict)
    pages_expected: int = 0
    pages_received: int = 0
    missing_pages: list[int] = field(default_factory=list)
    baseline: dict[str, float | int | str | None] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    error: str | None = None

    @property
    def failed_checks(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if not o.passed and o.severity == "ERROR"]

    @property
    def warned_checks(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if not o.passed and o.severity == "WARN"]

    @property
    def status(self) -> str:
        if self.error or self.failed_checks:
            return "failed"
        return "warned" if self.warned_checks else "passed"

    @property
    def accepted(self) -> bool:
        return self.status != "failed"


def loaded_stats(con: duckdb.DuckDBPyConnection, pull_id: str) -> dict[dt.date, dict[str, int]]:
    """Row count and metric sums per day of what this pull landed."""
    sums = ", ".join(f"coalesce(sum({c}), 0)::BIGINT AS {c}" for c in SUMS)
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'adreports_raw' AND table_name = 'report_rows'"
    ).fetchone()[0]
    if not found:
        return {}
    rel = con.execute(
        f"SELECT report_date, count(*) AS row_count, {sums} FROM adreports_raw.report_rows "
        "WHERE pull_id = ? GROUP BY report_date",
        [pull_id],
    )
    names = [d[0] for d in rel.description]
    return {r[0]: dict(zip(names[1:], r[1:], strict=True)) for r in rel.fetchall()}


def baseline(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, float | int | str | None]:
    """Median rows and earnings of the accepted days before ``day``: same weekday over four
    weeks when at least two are known, else any day over two weeks when three are."""
    history = con.execute(
        """
        WITH accepted AS (
            SELECT report_date, rows_loaded, estimated_earnings_micros
            FROM adreports_raw.pulls
            WHERE status IN ('passed', 'warned')
              AND report_date < ? AND report_date >= ? - INTERVAL 28 DAY
            QUALIFY row_number() OVER (PARTITION BY report_date ORDER BY pulled_at DESC) = 1
        )
        SELECT report_date, rows_loaded, estimated_earnings_micros FROM accepted
        """,
        [day, day],
    ).fetchall()
    same = [h for h in history if h[0].weekday() == day.weekday()]
    recent = [h for h in history if (day - h[0]).days <= 14]
    if len(same) >= 2:
        kind, basis = "same_weekday", same
    elif len(recent) >= 3:
        kind, basis = "trailing_14_days", recent
    else:
        return {"kind": "none", "days": len(history), "rows": None, "earnings_micros": None}
    return {
        "kind": kind,
        "days": len(basis),
        "rows": statistics.median(h[1] for h in basis),
        "earnings_micros": statistics.median(h[2] for h in basis),
    }


def judge(
    con: duckdb.DuckDBPyConnection, days: list[dt.date], pull_id: str, pages: PageLog
) -> list[DayResult]:
    """Run every check on every day of the pull (the caller holds the warehouse lock)."""
    stats = loaded_stats(con, pull_id)
    results = []
    for day in days:
        got = stats.get(day, {"row_count": 0, **dict.fromkeys(SUMS, 0)})
        day_pages = pages.pages.get(day.isoformat(), {})
        expected = max((p["total_pages"] for p in day_pages.values()), default=0)
        total = next(iter(day_pages.values()), {}).get("report_total")
        if not (isinstance(total, dict) and all(type(total.get(k)) is int for k in TOTAL_KEYS)):
            total = {}  # none, or not numbers: nothing to compare with
        bad = [reason for d, _, reason in pages.quarantine if d == day.isoformat()]
        bad_rows = (
            bad and f"{len(bad)} rows quarantined (adreports_raw.report_quarantine): {bad[0]}"
        )
        r = DayResult(
            day=day,
            pull_id=pull_id,
            rows_loaded=int(got["row_count"]),
            loaded={k: int(got[k]) for k in SUMS},
            provider_total={k: total[k] for k in TOTAL_KEYS} if total else {},
            pages_expected=expected,
            pages_received=len(day_pages),
            missing_pages=sorted(set(range(1, expected + 1)) - set(day_pages)),
            error=pages.failed.get(day.isoformat()) or bad_rows or None,
        )
        r.outcomes["day_not_empty"] = Outcome(
            passed=r.rows_loaded > 0,
            detail=f"{r.rows_loaded} rows landed, provider reports {r.provider_total.get('row_count', 'no total')}",
        )
        r.outcomes["pages_complete"] = Outcome(
            passed=expected > 0 and not r.missing_pages,
            detail=f"{r.pages_received} of {expected} pages; missing {r.missing_pages or 'none'}",
        )
        landed = {"row_count": r.rows_loaded, **r.loaded}
        mismatched = {
            k: (landed.get(k), v) for k, v in r.provider_total.items() if landed.get(k) != v
        }
        r.outcomes["totals_match_provider"] = Outcome(
            passed=bool(r.provider_total) and not mismatched,
            detail="landed = provider total"
            if bool(r.provider_total) and not mismatched
            else f"landed vs provider: {mismatched or 'no report total received'}",
        )
        r.baseline = baseline(con, day)
        r.outcomes["volume_vs_trailing_median"] = _volume(r)
        results.append(r)
    return results


def _volume(r: DayResult) -> Outcome:
    base = r.baseline
    if base["rows"] is None:
        return Outcome(True, detail=f"no baseline yet ({base['days']} accepted days before)")
    ratios = {
        "rows": r.rows_loaded / base["rows"] if base["rows"] else 1.0,
        "earnings": r.loaded["estimated_earnings_micros"] / base["earnings_micros"]
        if base["earnings_micros"]
        else 1.0,
    }
    lowest = min(ratios.values())
    text = (
        f"rows {ratios['rows']:.0%} and earnings {ratios['earnings']:.0%} of the "
        f"{base['kind']} median over {base['days']} days"
    )
    if lowest < AdreportsSettings().min_median_ratio:
        return Outcome(False, "ERROR", text)
    if base["kind"] == "same_weekday" and lowest < AdreportsSettings().warn_median_ratio:
        return Outcome(False, "WARN", text)
    return Outcome(True, detail=text)
