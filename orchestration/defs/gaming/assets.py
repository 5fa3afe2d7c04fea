"""Game events: the load of ``gaming_raw``, its reconciliation and the serving snapshot, from the domain's
contract (the dbt models are in ``orchestration/defs/dbt.py``)."""

import dagster as dg

from loaders.gaming.pipeline import DOMAIN
from orchestration.lib.domain import file_domain_assets

RAW_EVENTS = dg.AssetKey(["gaming_raw", "events"])
SERVING = dg.AssetKey(["serving", "gaming"])

gaming_raw, gaming_lines_reconcile, gaming_serving_snapshot = file_domain_assets(DOMAIN)
