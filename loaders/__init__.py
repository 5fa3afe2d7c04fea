"""dlt sources, one package per domain. Each runs on its own (``python -m loaders.<domain>``)
as well as under Dagster."""
