"""The dlt ``rest_api`` source of the mediation report: one resource per report day.

Each day is its own resource (``report_YYYYMMDD``) so its pages, totals and completeness can
be judged on their own; all of them load into one table, ``adreports_raw.report_rows``, merged
on the report's natural key with the day as merge key (``delete-insert``): a re-pull of a day
replaces that day, never duplicates it. Each resource asks for the closed range [day, day]
(``start_date``/``end_date``); no cursor state, so re-pulling a past day needs nothing special.
A row that is not a valid row of its day (a string in a metric, another date, a missing key)
never reaches dlt (no variant column, no other day's rows replaced): it goes to the page log's
quarantine with its raw JSON and the reason, and the day fails.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from dlt.sources.rest_api import rest_api_source

from loaders.adreports.session import REPORT_PATH, PageLog, ProviderSession

TABLE = "report_rows"
NATURAL_KEY = ["report_date", "app_id", "ad_unit_id", "country", "ad_source_id"]
METRICS = ["ad_requests", "impressions", "clicks", "estimated_earnings_micros"]

COLUMNS: dict[str, dict[str, Any]] = {
    "report_date": {"data_type": "date", "nullable": False},
    "app_id": {"data_type": "text", "nullable": False},
    "app_name": {"data_type": "text"},
    "ad_unit_id": {"data_type": "text", "nullable": False},
    "ad_unit_name": {"data_type": "text"},
    "country": {"data_type": "text", "nullable": False},
    "ad_source_id": {"data_type": "text", "nullable": False},
    "ad_source_name": {"data_type": "text"},
    **{m: {"data_type": "bigint"} for m in METRICS},
    "pull_id": {"data_type": "text", "nullable": False},
}


def resource_name(day: dt.date) -> str:
    return f"report_{day:%Y%m%d}"


def row_problem(row: Any, day: dt.date) -> str | None:
    """Why ``row`` is not a valid row of ``day``'s report (per ``COLUMNS``), or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    for name, spec in COLUMNS.items():
        value, kind, nullable = row.get(name), spec["data_type"], spec.get("nullable", True)
        if name == "pull_id" or (value is None and nullable):
            continue
        if kind == "date" and value != day.isoformat():
            return f"{name} is {value!r}, not the day asked for ({day})"
        if kind == "text" and not (isinstance(value, str) and (value or nullable)):
            return f"{name} is {value!r}, not a non-empty string"
        if kind == "bigint" and not (type(value) is int and -(2**63) <= value < 2**63):
            return f"{name} is {value!r}, not an integer"
    return None


def _valid(day: dt.date, page_log: PageLog):
    def keep(row: Any) -> bool:
        if (reason := row_problem(row, day)) is not None:
            page_log.quarantine.append((day.isoformat(), json.dumps(row, default=str), reason))
        return reason is None

    return keep


def report_source(days: list[dt.date], session: ProviderSession, pull_id: str):
    """The report for ``days``; every valid row tagged with ``pull_id``, the others
    quarantined in ``session.page_log``."""

    def tag(row: dict) -> dict:
        row["pull_id"] = pull_id
        return row

    resources = [
        {
            "name": resource_name(day),
            "table_name": TABLE,
            "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
            "primary_key": NATURAL_KEY,
            "merge_key": "report_date",
            "columns": COLUMNS,
            "endpoint": {
                "path": REPORT_PATH,
                "params": {
                    "page_size": session.config.page_size,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                },
                "data_selector": "rows",
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_page_token",
                    "cursor_param": "page_token",
                },
            },
            "processing_steps": [{"filter": _valid(day, session.page_log)}, {"map": tag}],
        }
        for day in days
    ]
    return rest_api_source(
        {
            "client": {"base_url": f"{session.config.api_url}/", "session": session},
            "resources": resources,
        },
        name="adreports",
    )
