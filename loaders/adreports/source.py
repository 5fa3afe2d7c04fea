"""The dlt ``rest_api`` source of the mediation report: one resource per report day.

Each day is its own resource (``report_YYYYMMDD``) so its pages, totals and completeness can
be judged on their own; all of them load into one table, ``adreports_raw.report_rows``, merged
on the report's natural key with the day as merge key (``delete-insert``): a re-pull of a day
replaces that day, never duplicates it. Incremental by date: each resource's window is the
closed range [day, day], sent as ``start_date``/``end_date``; dlt keeps no cursor state for a
bounded window, so re-pulling a past day needs nothing special.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dlt.sources.rest_api import rest_api_source

from loaders.adreports.session import REPORT_PATH, ProviderSession

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


def report_source(days: list[dt.date], session: ProviderSession, pull_id: str):
    """The report for ``days``; every row tagged with ``pull_id``."""

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
                "params": {"page_size": session.config.page_size},
                "data_selector": "rows",
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_page_token",
                    "cursor_param": "page_token",
                },
                "incremental": {
                    "start_param": "start_date",
                    "end_param": "end_date",
                    "cursor_path": "report_date",
                    "initial_value": day.isoformat(),
                    "end_value": day.isoformat(),
                    "range_end": "closed",
                },
            },
            "processing_steps": [{"map": tag}],
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
