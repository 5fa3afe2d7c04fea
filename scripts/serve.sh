#!/usr/bin/env bash
# Start the Dagster webserver + daemon (:3000), the API (:8000), the gaming ingest service and
# the dbt docs site (:8080); Ctrl-C stops them all. `--materialize` (what `make demo` runs) brings
# the UI up first, then materialises every asset once (the run shows in the UI as it goes), then
# generates and serves the dbt docs: the UI is there in about a minute instead of after the whole
# first build; the sample input (scripts/sample.sh) is written while the services start. The
# ports are settings (README: TRIBUTARY_DAGSTER_PORT, TRIBUTARY_API_PORT, TRIBUTARY_DOCS_PORT,
# ADREPORTS_SIM_PORT), so two stacks can run side by side.
set -euo pipefail
# Job control: each service gets its own process group (and keeps SIGINT, which a plain
# background job of a script ignores), so stopping signals the service and all its children.
set -m
cd "$(dirname "$0")/.."
MATERIALIZE=0
[ "${1:-}" = "--materialize" ] && MATERIALIZE=1
VENV=.venv/bin
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$PWD/$VENV:$PATH"
DOCS="$TRIBUTARY_DATA_DIR/dbt/docs"
mkdir -p "$TRIBUTARY_DATA_DIR/logs"
source scripts/ports.sh

pids=()
stop() {
  trap - INT TERM EXIT
  # Stopping must finish even if our own stdout is gone (e.g. `make demo | tee` after Ctrl-C).
  trap '' PIPE
  set +e
  { echo; echo "stopping…"; } 2>/dev/null
  # SIGINT first (what Ctrl-C sends; `dg dev` shuts its children down cleanly on it),
  # then SIGTERM and finally SIGKILL for anything still there.
  for pid in "${pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped." 2>/dev/null
}
trap stop INT TERM EXIT

# adreports: the simulated ad-report API (mild transient faults) unless a real provider is
# configured; Dagster's runs pull from it.
if [ -z "${ADREPORTS_API_URL:-}" ]; then
  "$VENV/python" -m simulation.adreports --port "$SIM_PORT" --profile mild \
    >"$TRIBUTARY_DATA_DIR/logs/adreports-provider.log" 2>&1 &
  pids+=($!)
  export ADREPORTS_API_URL="http://127.0.0.1:$SIM_PORT"
  export ADREPORTS_API_TOKEN="${ADREPORTS_API_TOKEN:-sim-refresh-token}"
fi

# Create the Dagster instance's storage before anything opens it: `dg dev` and the gaming
# service's reporter starting together on a fresh DAGSTER_HOME could both stamp the schema
# version of schedules.db (two alembic heads), after which Dagster refuses to start.
if [ -n "${DAGSTER_HOME:-}" ]; then
  "$VENV/python" -c "from dagster import DagsterInstance; DagsterInstance.get().dispose()"
fi

# `dg dev` reads [tool.dg] in pyproject.toml: the code location is orchestration.definitions.
"$VENV/dg" dev --no-check-yaml -h 0.0.0.0 -p "$DAGSTER_PORT" \
  >"$TRIBUTARY_DATA_DIR/logs/dagster.log" 2>&1 &
pids+=($!)
# The features consumer (events scenario 4): the stream → the online feature store the
# /features endpoints read, in its own process, when the events stream is configured.
FEATURES_MSG="consumer off (set EVENTS_NATS_URL)"
if [ -n "${EVENTS_NATS_URL:-}" ]; then
  FEATURES_MSG="consumer running, into the embedded store"
  [ -n "${FEATURES_REDIS_URL:-}" ] && FEATURES_MSG="consumer running, into Redis"
  "$VENV/python" -m loaders.events features --follow \
    >"$TRIBUTARY_DATA_DIR/logs/events-features.log" 2>&1 &
  pids+=($!)
fi
# gaming: the real-time ingest service (files served within a second; while it runs the
# gaming landing sensor stands aside), unless GAMING_FOLLOW_SERVICE=false.
follow=$("$VENV/python" -c 'from loaders.gaming.settings import GamingSettings as S; print(int(S().follow_service))')
if [ "$follow" = 1 ]; then
  "$VENV/python" -m loaders.gaming --follow >"$TRIBUTARY_DATA_DIR/logs/gaming-follow.log" 2>&1 &
  pids+=($!)
fi
"$VENV/uvicorn" api.main:app --host 0.0.0.0 --port "$API_PORT" --workers 2 --no-access-log \
  >"$TRIBUTARY_DATA_DIR/logs/api.log" 2>&1 &
pids+=($!)
serve_docs() {
  cd dbt_project && exec "../$VENV/dbt" docs serve --host 0.0.0.0 --port "$DOCS_PORT" --no-browser \
    --target-path "$DOCS" >"$TRIBUTARY_DATA_DIR/logs/dbt-docs.log" 2>&1
}
if [ "$MATERIALIZE" = 1 ]; then
  # One job (its own process group, stopped with the rest): write the sample input while the
  # services start, wait for the UI, materialise every asset (non-zero exit reported, the
  # services stay up to show why), generate the docs, then become the docs server.
  (
    echo "writing sample input (log: $TRIBUTARY_DATA_DIR/logs/sample.log)"
    scripts/sample.sh >"$TRIBUTARY_DATA_DIR/logs/sample.log" 2>&1 \
      || echo "sample input FAILED: see $TRIBUTARY_DATA_DIR/logs/sample.log" >&2
    "$VENV/python" -m scripts.wait_http "http://127.0.0.1:$DAGSTER_PORT/server_info" 600 || true
    echo "materialising every asset (Dagster UI: run materialize_all; log: $TRIBUTARY_DATA_DIR/logs/materialize.log)"
    if "$VENV/python" -m orchestration.materialize_all >"$TRIBUTARY_DATA_DIR/logs/materialize.log" 2>&1; then
      echo "materialize_all: ok"
    else
      echo "materialize_all FAILED: see $TRIBUTARY_DATA_DIR/logs/materialize.log and the Dagster UI" >&2
    fi
    if (cd dbt_project && "../$VENV/dbt" docs generate --quiet --target-path "$DOCS") \
      >"$TRIBUTARY_DATA_DIR/logs/dbt-docs-generate.log" 2>&1; then
      echo "dbt docs ready: http://localhost:$DOCS_PORT"
      serve_docs
    fi
    echo "dbt docs generate FAILED: see $TRIBUTARY_DATA_DIR/logs/dbt-docs-generate.log" >&2
    exec sleep infinity
  ) &
  pids+=($!)
elif [ -f "$DOCS/index.html" ]; then
  serve_docs &
  pids+=($!)
fi

cat <<MSG

  Dagster UI   http://localhost:$DAGSTER_PORT
  API          http://localhost:$API_PORT/docs   (health: http://localhost:$API_PORT/health)
  dbt docs     http://localhost:$DOCS_PORT
  ad reports   $ADREPORTS_API_URL   (provider the adreports pull uses)
  gaming       python -m loaders.gaming --follow   (real-time ingest service)
  logs         $TRIBUTARY_DATA_DIR/logs/
  features     $FEATURES_MSG

Ctrl-C stops them all.
MSG
wait -n "${pids[@]}" || true
