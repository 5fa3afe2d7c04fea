"""Pull report days without Dagster: ``python -m loaders.adreports [--start D --end D]``.

Defaults to yesterday and the lookback window before it; ``ADREPORTS_API_URL`` and
``ADREPORTS_API_TOKEN`` name the provider (``make adreports-provider`` runs the simulated one). Prints one JSON line per day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from loaders.adreports.pipeline import pull
from loaders.adreports.settings import AdreportsSettings, yesterday


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    end = args.end or yesterday()
    start = args.start or end - dt.timedelta(days=AdreportsSettings().lookback_days)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    report = pull(days, AdreportsSettings.from_env())
    for day in report.days:
        print(
            json.dumps(
                {
                    "date": day.day.isoformat(),
                    "status": day.status,
                    "rows": day.rows_loaded,
                    "failed": day.failed_checks,
                    "warned": day.warned_checks,
                }
            )
        )


if __name__ == "__main__":
    main()
