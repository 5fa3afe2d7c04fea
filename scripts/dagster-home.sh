#!/usr/bin/env bash
# Writes $DAGSTER_HOME/dagster.yaml: orchestration/dagster.yaml (SQLite storage in the Dagster
# home, the run queue's limits), plus PostgreSQL storage when DAGSTER_PG_URL is set. Atomic, so
# containers sharing one Dagster home can all run it at start.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DAGSTER_HOME:?DAGSTER_HOME is not set}"
mkdir -p "$DAGSTER_HOME"
tmp=$(mktemp "$DAGSTER_HOME/.dagster.yaml.XXXXXX")
cat orchestration/dagster.yaml ${DAGSTER_PG_URL:+orchestration/dagster-postgres.yaml} >"$tmp"
mv "$tmp" "$DAGSTER_HOME/dagster.yaml"
