"""Helpers of the adreports tests: fault injection over HTTP, pulls, warehouse reads, and the
expected answers computed in plain Python from the provider's raw rows."""

from __future__ import annotations

import datetime as dt

import httpx

from loaders.adreports.pipeline import PullReport, pull
from loaders.adreports.settings import AdreportsSettings
from simulation.adreports.report import day_rows
from simulation.adreports.server import ProviderServer
from tests.conftest import rows

TODAY = dt.date(2026, 11, 20)


def fault(server: ProviderServer, **spec) -> None:
    """Inject one fault through the provider's control endpoint."""
    for key, value in list(spec.items()):
        if isinstance(value, dt.date):
            spec[key] = value.isoformat()
    response = httpx.post(f"{server.url}/_control/faults", json={"faults": [spec]}, timeout=5)
    response.raise_for_status()


def set_today(server: ProviderServer, day: dt.date) -> None:
    httpx.post(f"{server.url}/_control/today", json={"date": day.isoformat()}, timeout=5)


def provider_log(server: ProviderServer, path: str = "/v1/reports/mediation") -> list[dict]:
    """What the provider was asked on ``path`` and what it answered, in order."""
    log = httpx.get(f"{server.url}/_control/requests", timeout=5).json()["requests"]
    return [r for r in log if r["path"] == path]


def pull_days(*days: dt.date) -> PullReport:
    return pull(list(days), AdreportsSettings.from_env())


def span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def expected_day(day: dt.date, factor: float = 1.0, app: str | None = None) -> dict:
    """Row count and sums of the provider's full data for ``day``, from its raw rows."""
    source = day_rows(day)
    earnings = [
        int(r["estimated_earnings_micros"] * factor)
        if app in (None, r["app_id"])
        else r["estimated_earnings_micros"]
        for r in source
    ]
    return {
        "rows": len(source),
        "impressions": sum(r["impressions"] for r in source),
        "clicks": sum(r["clicks"] for r in source),
        "earnings_micros": sum(earnings),
    }


def accepted_day(day: dt.date) -> dict:
    """The same figures from ``adreports_raw.accepted_rows``."""
    [(n, impressions, clicks, earnings)] = rows(
        "SELECT count(*), coalesce(sum(impressions), 0), coalesce(sum(clicks), 0), "
        "coalesce(sum(estimated_earnings_micros), 0) FROM adreports_raw.accepted_rows "
        "WHERE report_date = ?",
        [day],
    )
    return {"rows": n, "impressions": impressions, "clicks": clicks, "earnings_micros": earnings}


def ledger(day: dt.date) -> list[tuple]:
    """(status, failed_checks, warned_checks, error) of every pull of ``day``, oldest first."""
    return rows(
        "SELECT status, failed_checks, warned_checks, error FROM adreports_raw.pulls "
        "WHERE report_date = ? ORDER BY pulled_at",
        [day],
    )


def duplicate_keys(table: str) -> int:
    [(n,)] = rows(
        f"SELECT count(*) FROM (SELECT report_date, app_id, ad_unit_id, country, ad_source_id "
        f"FROM adreports_raw.{table} GROUP BY ALL HAVING count(*) > 1)"
    )
    return n
