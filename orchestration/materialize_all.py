"""Materialise every asset once, headless, in one run, and fail if any asset or check fails.

``make materialize`` runs this against the instance in ``$DAGSTER_HOME`` so the run shows up
in the Dagster UI afterwards. One run over every asset (the hourly lake backfill aside) means
one process and one ``dbt build`` for all domains (with ``TRIBUTARY_ENGINE=spark``: the domains
whose models run on Spark, ``ENGINE_DOMAINS``); adreports pulls its catch-up range (what
``adreports_refresh`` pulls), from the simulated provider when none is configured.
"""

from __future__ import annotations

import sys

import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.adreports.jobs import catchup_tags
from orchestration.defs.events.assets import LAKE_HOURS
from orchestration.lib.dbt import ENGINE_DOMAINS
from orchestration.lib.embedded import adreports_provider
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS
from tributary.settings import TributarySettings

JOB = "materialize_all"


def selection(engine: str) -> dg.AssetSelection:
    """Every asset (the hourly lake backfill aside) of the domains ``engine`` builds."""
    domains = ENGINE_DOMAINS[engine]
    chosen = dg.AssetSelection.all() if domains is None else dg.AssetSelection.groups(*domains)
    return chosen - dg.AssetSelection.assets(LAKE_HOURS)


def job() -> dg.JobDefinition:
    everything = dg.define_asset_job(
        name=JOB,
        selection=selection(TributarySettings().engine),
        tags={**WAREHOUSE_WRITER_TAGS, **catchup_tags()},
        description="Every asset once (make materialize).",
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[everything])).resolve_job_def(JOB)


def main() -> int:
    with adreports_provider():
        result = job().execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False)
    failures = [] if result.success else [f"run {result.run_id} failed"]
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failures.append(f"check {evaluation.asset_check_key.to_user_string()} failed")
    print(f"{JOB}: {'ok' if result.success else 'FAILED'} (run {result.run_id})")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
