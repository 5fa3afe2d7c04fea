"""One pull of the mediation report for some days, usable from Dagster or on its own.

1. extract every day's pages with the dlt ``rest_api`` source (network only, no lock held);
2. under the warehouse lock: normalise and load into ``adreports_raw.report_rows`` (merge on
   the natural key, a day's rows replaced by the re-pull), judge every day
   (:mod:`loaders.adreports.completeness`), write the ledger and the quarantined rows, and
   promote accepted days (:mod:`loaders.adreports.ledger`).

A day the provider fails (still failing after every retry, a page that is not a report page)
fails alone, with that reason as its ``error``; the other days are judged on their own. A pull
of which every day failed so, or whose credentials are refused, is recorded in the ledger as
``failed`` for each of its days and raised as a
:class:`~loaders.adreports.session.ProviderError`: nothing of it reaches the marts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.adreports.completeness import DayResult, judge
from loaders.adreports.ledger import SCHEMA, ensure_tables, record
from loaders.adreports.session import PageLog, ProviderError, ProviderSession, ProviderUnavailable
from loaders.adreports.settings import AdreportsSettings
from loaders.adreports.source import report_source
from loaders.common import warehouse_pipeline
from tributary import serving, warehouse

PIPELINE_NAME = "adreports_report"
DATASET = SCHEMA

SERVED_TABLES = [
    serving.ServedTable(
        "adreports",
        "daily_revenue",
        "SELECT * FROM adreports.daily_revenue",
        order_by="report_date, app_id, country",
    ),
    serving.ServedTable(
        "adreports",
        "daily_status",
        "SELECT * FROM adreports.daily_status",
        order_by="report_date",
    ),
]


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


@dataclass
class PullReport:
    pull_id: str
    days: list[DayResult]
    retries: int
    token_refreshes: int

    @property
    def failed_days(self) -> list[DayResult]:
        return [d for d in self.days if d.status == "failed"]


def _provider_error(exc: BaseException) -> ProviderError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ProviderError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def pull(
    days: list[dt.date],
    config: AdreportsSettings,
    session: ProviderSession | None = None,
    lock_timeout: float | None = 600.0,
) -> PullReport:
    """Pull ``days`` (``config.api_url`` set) into the warehouse; see the module docstring."""
    pull_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    page_log = PageLog()
    session = session or ProviderSession(config, page_log)
    session.page_log = page_log
    p = pipeline()
    try:
        p.extract(report_source(days, session, pull_id))
        if len(page_log.failed) == len(days):
            raise ProviderUnavailable(page_log.failed[days[0].isoformat()])
    except Exception as exc:
        cause = _provider_error(exc)
        if cause is None:
            raise
        p.abort_packages()  # a partly extracted pull never loads
        failed = [
            DayResult(d, pull_id, error=page_log.failed.get(str(d), str(cause))) for d in days
        ]
        with warehouse.connect(timeout=lock_timeout) as con:
            record(con, failed, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        raise cause from None
    with warehouse.locked(lock_timeout):
        p.normalize()
        p.load()
        with warehouse.connect(lock=False) as con:
            ensure_tables(con)
            results = judge(con, days, pull_id, page_log)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            record(con, results, now, [(pull_id, *q, now) for q in page_log.quarantine])
    return PullReport(pull_id, results, page_log.retries, page_log.token_refreshes)


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the adreports marts into a fresh serving snapshot. Caller holds the lock."""
    return serving.publish_if_built("adreports", SERVED_TABLES, warehouse)
