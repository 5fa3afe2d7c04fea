#!/usr/bin/env bash
# The image's roles: `<role> [args…]`; anything else runs as a command. Every role first writes
# the Dagster instance file (PostgreSQL storage when DAGSTER_PG_URL is set) and, for the
# webserver and daemon, a workspace that loads the code location from the code server.
set -euo pipefail
cd /app
# An instance file we cannot replace (one mounted by Dagster's Helm chart) is kept as it is.
if [ -e "$DAGSTER_HOME/dagster.yaml" ] && [ ! -w "$DAGSTER_HOME" ]; then
  echo "keeping $DAGSTER_HOME/dagster.yaml (not writable here)" >&2
else
  scripts/dagster-home.sh
fi
source scripts/ports.sh
# Services may start before PostgreSQL accepts connections: wait for it (up to 2 minutes).
python - <<'PY'
import time

import psycopg

from tributary.settings import TributarySettings

url, deadline = TributarySettings().dagster_pg_url, time.monotonic() + 120
url = url and url.replace("postgresql+psycopg2://", "postgresql://", 1)  # libpq's form
while url:
    try:
        psycopg.connect(url, connect_timeout=3).close()
        break
    except psycopg.OperationalError:
        if time.monotonic() > deadline:
            raise
        time.sleep(1)
PY
code_server_host() {
  python -c 'from tributary.settings import TributarySettings as T; print(T().code_server_host)'
}
# The webserver and daemon load the code location once at start (a webserver that came up first
# shows the load error until someone reloads): wait for the code server to answer its gRPC
# health check, up to 10 minutes (loading the definitions took 1-3 min on a loaded 2-core host).
wait_for_code_server() {
  local host deadline
  host=$(code_server_host)
  deadline=$((SECONDS + 600))
  until dagster api grpc-health-check -h "$host" -p "$CODE_SERVER_PORT" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "code server $host:$CODE_SERVER_PORT not serving; starting anyway" >&2
      return 0
    fi
    sleep 2
  done
}
workspace() {
  local host
  host=$(code_server_host)
  local tmp
  tmp=$(mktemp "$DAGSTER_HOME/.workspace.yaml.XXXXXX")
  printf 'load_from:\n  - grpc_server:\n      host: "%s"\n      port: %s\n      location_name: tributary\n' \
    "$host" "$CODE_SERVER_PORT" >"$tmp"
  mv "$tmp" "$DAGSTER_HOME/workspace.yaml"
  echo "$DAGSTER_HOME/workspace.yaml"
}
role=${1:-api}
shift || true
case "$role" in
  api) exec uvicorn api.main:app --host 0.0.0.0 --port "$API_PORT" --workers 2 "$@" ;;
  code-server)
    exec dagster code-server start -m orchestration.definitions --location-name tributary \
      -h 0.0.0.0 -p "$CODE_SERVER_PORT" "$@" ;;
  dagster-webserver)
    wait_for_code_server
    exec dagster-webserver -h 0.0.0.0 -p "$DAGSTER_PORT" -w "$(workspace)" "$@" ;;
  dagster-daemon)
    wait_for_code_server
    exec dagster-daemon run -w "$(workspace)" "$@" ;;
  materialize) exec python -m orchestration.materialize_all "$@" ;;
  adreports-provider) exec python -m simulation.adreports --port "$SIM_PORT" "$@" ;;
  # The sample inputs `make sample` writes (landing files, the shop database), once.
  sample)
    for module in simulation.gaming simulation.players "simulation.location sample" \
      simulation.commerce loaders.commerce.shop_db "simulation.events --events 20000 --hours 6"; do
      # shellcheck disable=SC2086
      python -m $module
    done ;;
  *) exec "$role" "$@" ;;
esac
