# Sourced: the ports of `make serve` and the container roles, read (and validated) from their
# settings, so the defaults live in one place (tributary/settings.py, loaders/adreports).
ports=$(python -c '
from loaders.adreports.settings import AdreportsSettings
from tributary.settings import TributarySettings
t = TributarySettings()
print(t.dagster_port, t.api_port, t.docs_port, t.code_server_port, AdreportsSettings().sim_port)
')
read -r DAGSTER_PORT API_PORT DOCS_PORT CODE_SERVER_PORT SIM_PORT <<<"$ports"
