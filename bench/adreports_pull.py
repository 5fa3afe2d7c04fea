"""Cost of a judged pull of the ad-revenue report, against a naive pull, in one run.

``python -m bench.adreports_pull [--days 31 --repeats 3]``

For each repeat, into a fresh data dir, against the simulated provider in this process:

1. naive baseline (profile ``none``): plain ``requests`` page loop per day, rows inserted into
   DuckDB; no retries, no checks, no ledger (what "retry and hope" solutions do);
2. Tributary ``loaders.adreports.pipeline.pull`` with profile ``none``: dlt ``rest_api``
   extract, merge load, the four checks per day, ledger and promotion;
3. the same with profile ``mild`` (random 5xx and 429 with ``Retry-After: 1``, absorbed by the
   retries; default backoff settings).

Every Tributary pull is verified: each day accepted with exactly the provider's row count and
earnings, recomputed in plain Python. Prints medians and writes
``bench/results/adreports_pull.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from loaders.adreports.pipeline import pull
from loaders.adreports.settings import AdreportsSettings
from simulation.adreports.report import day_rows
from simulation.adreports.server import running_provider
from tributary import duck

RESULTS = Path(__file__).resolve().parent / "results" / "adreports_pull.json"
LAST_DAY = dt.date(2026, 11, 19)


def naive(url: str, token: str, days: list[dt.date], path: Path) -> int:
    access = requests.post(
        f"{url}/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": token}
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access}"
    rows: list[dict] = []
    for day in days:
        params = {"start_date": str(day), "end_date": str(day), "page_size": 100}
        while True:
            body = session.get(f"{url}/v1/reports/mediation", params=params).json()
            rows.extend(body["rows"])
            if not body.get("next_page_token"):
                break
            params["page_token"] = body["next_page_token"]
    con = duck.connect(path)
    import pyarrow as pa

    con.register("incoming", pa.Table.from_pylist(rows))
    con.execute("CREATE TABLE report AS SELECT * FROM incoming")
    con.close()
    return len(rows)


def tributary(url: str, token: str, days: list[dt.date]) -> dict:
    config = AdreportsSettings(api_url=url, api_token=token)
    started = time.perf_counter()
    report = pull(days, config)
    seconds = time.perf_counter() - started
    for d in report.days:
        want = day_rows(d.day)
        assert d.status == "passed", (d.day, d.failed_checks)
        assert d.rows_loaded == len(want)
        assert d.loaded["estimated_earnings_micros"] == sum(
            r["estimated_earnings_micros"] for r in want
        )
    return {"seconds": seconds, "retries": report.retries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    days = [LAST_DAY - dt.timedelta(days=i) for i in range(args.days - 1, -1, -1)]
    token = "bench-refresh-token"
    runs: dict[str, list[dict]] = {"naive": [], "none": [], "mild": []}
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: imports (dlt loads pandas lazily)
        os.environ["TRIBUTARY_DATA_DIR"] = tmp
        with running_provider(refresh_token=token, today=LAST_DAY) as p:
            tributary(p.url, token, days[-1:])
    for _ in range(args.repeats):
        for profile in ("none", "mild"):
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["TRIBUTARY_DATA_DIR"] = tmp
                with running_provider(refresh_token=token, profile=profile, today=LAST_DAY) as p:
                    if profile == "none":
                        started = time.perf_counter()
                        n = naive(p.url, token, days, Path(tmp) / "naive.duckdb")
                        runs["naive"].append({"seconds": time.perf_counter() - started, "rows": n})
                    runs[profile].append(tributary(p.url, token, days))
    summary = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    result = {
        "days": args.days,
        "rows_per_day": len(day_rows(LAST_DAY)),
        "median_seconds": summary,
        "retries_mild": [r["retries"] for r in runs["mild"]],
        "ratio_tributary_none_over_naive": summary["none"] / summary["naive"],
        "ratio_mild_over_none": summary["mild"] / summary["none"],
        "load_average": os.getloadavg(),
        "runs": runs,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
