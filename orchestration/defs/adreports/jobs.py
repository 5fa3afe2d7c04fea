"""Jobs of the adreports domain.

``adreports_daily`` is partitioned (one day per run; the schedule asks for yesterday and the
lookback window). ``adreports_refresh`` is the same selection over a fixed partition range,
the last ``ADREPORTS_CATCHUP_DAYS`` days ending yesterday as of when the code location
loaded, so ``make materialize`` (which runs jobs without a partition key) pulls the recent
days in one run.
"""

import datetime as dt

import dagster as dg

from loaders.adreports.settings import AdreportsSettings, yesterday
from orchestration.lib.domain import refresh_job
from orchestration.lib.warehouse import WAREHOUSE_WRITER_TAGS

SELECTION = dg.AssetSelection.groups("adreports")

adreports_daily_job = dg.define_asset_job(
    name="adreports_daily",
    selection=SELECTION,
    tags=WAREHOUSE_WRITER_TAGS,
    description="Pull one day of the ad-revenue report, check it, rebuild the marts, publish.",
)


def catchup_tags() -> dict[str, str]:
    """The partition range of the last ``ADREPORTS_CATCHUP_DAYS`` days, ending yesterday."""
    last = yesterday()
    first = last - dt.timedelta(days=AdreportsSettings().catchup_days - 1)
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }


adreports_refresh_job = refresh_job(
    "adreports",
    "Pull the last ADREPORTS_CATCHUP_DAYS days (ending yesterday) in one run, "
    "check them, rebuild the marts, publish.",
    tags=catchup_tags(),
)
