"""The per-day load ledger and the accepted rows the marts read.

``adreports_raw.pulls`` has one row per (pull, day): what landed, what the provider said, the
baseline, every check's verdict and the resulting status (``passed``, ``warned`` or
``failed``). ``adreports_raw.accepted_rows`` holds, per day, the rows of the newest pull that
was not ``failed``: a failed pull leaves the day's previous complete rows in place, and a
later good re-pull replaces them (delete + insert of that day in one transaction).
``adreports_raw.report_quarantine`` keeps every row a pull set aside as invalid (raw JSON and
the reason, e.g. a string in a metric).
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from loaders.adreports.completeness import DayResult
from loaders.adreports.source import COLUMNS

SCHEMA = "adreports_raw"

PULLS_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.pulls (
    pull_id VARCHAR NOT NULL,
    report_date DATE NOT NULL,
    pulled_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    failed_checks VARCHAR,
    warned_checks VARCHAR,
    error VARCHAR,
    rows_loaded BIGINT,
    provider_row_count BIGINT,
    pages_expected INTEGER,
    pages_received INTEGER,
    missing_pages VARCHAR,
    ad_requests BIGINT,
    impressions BIGINT,
    clicks BIGINT,
    estimated_earnings_micros BIGINT,
    provider_total VARCHAR,
    baseline VARCHAR,
    checks VARCHAR,
    PRIMARY KEY (pull_id, report_date)
)
"""

_SQL_TYPES = {"date": "DATE", "text": "VARCHAR", "bigint": "BIGINT"}
ACCEPTED_COLUMNS = list(COLUMNS)
ACCEPTED_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.accepted_rows ("
    + ", ".join(f"{name} {_SQL_TYPES[spec['data_type']]}" for name, spec in COLUMNS.items())
    + ", accepted_at TIMESTAMP NOT NULL)"
)


QUARANTINE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.report_quarantine (pull_id VARCHAR NOT NULL, "
    "report_date DATE NOT NULL, raw VARCHAR NOT NULL, reason VARCHAR NOT NULL, "
    "quarantined_at TIMESTAMP NOT NULL)"
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for ddl in (PULLS_DDL, ACCEPTED_DDL, QUARANTINE_DDL):
        con.execute(ddl)


def record(
    con: duckdb.DuckDBPyConnection,
    results: list[DayResult],
    now: dt.datetime,
    quarantine: list[tuple] = (),
) -> None:
    """Write the ledger rows and the quarantined rows (pull_id, day, raw, reason, now) and
    promote the accepted days, in one transaction."""
    ensure_tables(con)
    rows = [
        (
            r.pull_id,
            r.day,
            now,
            r.status,
            ",".join(r.failed_checks) or None,
            ",".join(r.warned_checks) or None,
            r.error,
            r.rows_loaded,
            r.provider_total.get("row_count"),
            r.pages_expected,
            r.pages_received,
            ",".join(map(str, r.missing_pages)) or None,
            r.loaded.get("ad_requests"),
            r.loaded.get("impressions"),
            r.loaded.get("clicks"),
            r.loaded.get("estimated_earnings_micros"),
            json.dumps(r.provider_total),
            json.dumps(r.baseline),
            json.dumps({n: vars(o) for n, o in r.outcomes.items()}),
        )
        for r in results
    ]
    accepted = [(r.pull_id, r.day) for r in results if r.accepted]
    cols = ", ".join(ACCEPTED_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            f"INSERT INTO {SCHEMA}.pulls VALUES ({', '.join(['?'] * 19)})",
            rows,
        )
        if quarantine:
            con.executemany(
                f"INSERT INTO {SCHEMA}.report_quarantine VALUES (?, ?, ?, ?, ?)", quarantine
            )
        if accepted:
            con.execute("CREATE OR REPLACE TEMP TABLE adreports_accept (pull_id VARCHAR, d DATE)")
            con.executemany("INSERT INTO adreports_accept VALUES (?, ?)", accepted)
            con.execute(
                f"DELETE FROM {SCHEMA}.accepted_rows "
                "WHERE report_date IN (SELECT d FROM adreports_accept)"
            )
            con.execute(
                f"INSERT INTO {SCHEMA}.accepted_rows ({cols}, accepted_at) "
                f"SELECT {', '.join('r.' + c for c in ACCEPTED_COLUMNS)}, ? "
                f"FROM {SCHEMA}.report_rows AS r JOIN adreports_accept AS a "
                "ON r.pull_id = a.pull_id AND r.report_date = a.d",
                [now],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
