"""Player events: the dlt load, its reconciliation and the serving snapshot, from the
domain's contract (the dbt models are in ``orchestration/defs/dbt.py``)."""

from loaders.players.pipeline import DOMAIN
from orchestration.lib.domain import file_domain_assets

players_raw, players_lines_reconcile, players_serving_snapshot = file_domain_assets(DOMAIN)
