#!/usr/bin/env bash
# Write sample input for every domain under $TRIBUTARY_DATA_DIR (what `make sample` runs and
# what `make demo` runs while the Dagster UI starts). Each generator is deterministic, so a
# second run writes the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
"$PY" -m simulation.gaming
"$PY" -m simulation.players
"$PY" -m simulation.location sample
"$PY" -m simulation.commerce
"$PY" -m loaders.commerce.shop_db
"$PY" -m simulation.events --events 20000 --hours 6
