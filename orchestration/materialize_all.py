"""Materialise every asset once, headless, and fail if any asset or check fails.

``make materialize`` runs this against the instance in ``$DAGSTER_HOME`` so the runs show up
in the Dagster UI afterwards. Each domain's refresh job runs in turn (one writer at a time).
"""

from __future__ import annotations

import sys

import dagster as dg

from orchestration.definitions import defs

# Jobs that together cover every asset, in the order they should run.
REFRESH_JOBS = [
    "gaming_refresh",
    "players_refresh",
    "commerce_refresh",
    "adreports_refresh",
    "location_refresh",
    "events_refresh",
]


def main() -> int:
    instance = dg.DagsterInstance.get()
    failures: list[str] = []
    for name in REFRESH_JOBS:
        job = defs.resolve_job_def(name)
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        if not result.success:
            failures.append(f"{name}: run {result.run_id} failed")
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                failures.append(
                    f"{name}: check {evaluation.asset_check_key.to_user_string()} failed"
                )
        print(f"{name}: {'ok' if result.success else 'FAILED'} (run {result.run_id})")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
