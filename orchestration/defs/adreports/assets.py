"""The daily-partitioned pull, its completeness checks and the serving snapshot (the dbt
models are in ``orchestration/defs/dbt.py``).

``adreports_raw`` materialises one day per partition (a run over a partition range pulls every
day of it in one dlt load). Each run reports the four completeness checks of
:mod:`loaders.adreports.completeness` on ``adreports_raw/report_rows``; with a range, a check
fails if it fails on any day and its metadata lists the days.

The checks are not Dagster-blocking on purpose: the block is per day, in the data. A day whose
pull fails keeps its previous accepted rows (``adreports_raw/accepted_rows``) and the marts,
rebuilt right after, mark it ``stale`` (or ``missing``) so the API shows the gap too; a
Dagster-blocking check would instead hold back every day of the mart and hide that status.
(Checks with their own ``partitions_def`` are a preview feature in Dagster 1.13.)
"""

import dagster as dg

from loaders.adreports import pipeline as adreports
from loaders.adreports.completeness import CHECKS
from loaders.adreports.pipeline import PullReport
from loaders.adreports.session import ProviderError
from loaders.adreports.settings import AdreportsSettings, ProviderNotConfigured
from orchestration.lib.domain import serving_snapshot_asset
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS
from tributary.warehouse import pin_data_dir

GROUP = "adreports"
DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
REPORT_ROWS = dg.AssetKey(["adreports_raw", "report_rows"])
PULLS = dg.AssetKey(["adreports_raw", "pulls"])
ACCEPTED_ROWS = dg.AssetKey(["adreports_raw", "accepted_rows"])

CHECK_DESCRIPTIONS = {
    "day_not_empty": "The provider sent rows for the day.",
    "pages_complete": "Every report page 1..total_pages arrived.",
    "totals_match_provider": "Rows landed and their sums equal the provider's report total.",
    "volume_vs_trailing_median": "Rows and earnings are not far below the trailing median "
    "(same weekday when known): catches a day the provider has not finished computing.",
}


def check_results(report: PullReport) -> list[dg.AssetCheckResult]:
    """One result per check for the run's days: the worst verdict wins."""
    results = []
    for name in CHECKS:
        errors = [
            d
            for d in report.days
            if d.outcomes[name].severity == "ERROR" and not d.outcomes[name].passed
        ]
        warns = [
            d
            for d in report.days
            if d.outcomes[name].severity == "WARN" and not d.outcomes[name].passed
        ]
        bad = errors or warns
        results.append(
            dg.AssetCheckResult(
                asset_key=REPORT_ROWS,
                check_name=name,
                passed=not bad,
                severity=dg.AssetCheckSeverity.WARN
                if warns and not errors
                else dg.AssetCheckSeverity.ERROR,
                metadata={
                    "pull_id": report.pull_id,
                    "days": len(report.days),
                    "failing_days": ", ".join(d.day.isoformat() for d in bad) or "none",
                    "detail": dg.MetadataValue.md(
                        "\n".join(
                            f"- {d.day}: {'ok' if d.outcomes[name].passed else d.outcomes[name].severity} "
                            f"— {d.outcomes[name].detail}"
                            for d in report.days
                        )
                    ),
                },
            )
        )
    return results


@dg.multi_asset(
    name="adreports_raw",
    specs=[
        dg.AssetSpec(
            REPORT_ROWS,
            group_name=GROUP,
            kinds={"duckdb", "dlt"},
            description="The newest pull of every day, merged on the report's natural key.",
        ),
        dg.AssetSpec(
            PULLS,
            group_name=GROUP,
            kinds={"duckdb"},
            description="Ledger: one row per pull and day with every check's verdict.",
        ),
        dg.AssetSpec(
            ACCEPTED_ROWS,
            group_name=GROUP,
            kinds={"duckdb"},
            description="Per day, the rows of the newest pull that passed its checks.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(name, asset=REPORT_ROWS, description=CHECK_DESCRIPTIONS[name])
        for name in CHECKS
    ],
    partitions_def=DAILY,
    op_tags=WAREHOUSE_WRITER_TAGS,
)
def adreports_raw(context: dg.AssetExecutionContext):
    """Pull the report for the run's days from ``ADREPORTS_API_URL``."""
    pin_data_dir()
    days = [DAILY.time_window_for_partition_key(k).start.date() for k in context.partition_keys]
    try:
        report = adreports.pull(days, AdreportsSettings.from_env())
    except (ProviderError, ProviderNotConfigured) as exc:
        raise dg.Failure(
            description=f"adreports pull of {days[0]}..{days[-1]} failed: {exc}",
            metadata={"days": len(days), "error": str(exc)},
        ) from None
    context.log.info(
        "pull %s: %d days, %d retries, %d token refreshes; failed: %s",
        report.pull_id,
        len(report.days),
        report.retries,
        report.token_refreshes,
        ", ".join(str(d.day) for d in report.failed_days) or "none",
    )
    summary = {
        "pull_id": report.pull_id,
        "days": len(report.days),
        "rows_loaded": sum(d.rows_loaded for d in report.days),
        "failed_days": ", ".join(str(d.day) for d in report.failed_days) or "none",
        "retries": report.retries,
        "token_refreshes": report.token_refreshes,
    }
    for key in (REPORT_ROWS, PULLS, ACCEPTED_ROWS):
        yield dg.MaterializeResult(asset_key=key, metadata=summary)
    yield from check_results(report)


adreports_serving_snapshot = serving_snapshot_asset(
    GROUP,
    ["adreports/daily_revenue", "adreports/daily_status"],
    adreports.publish_serving,
)
