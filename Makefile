# Tributary: `make demo` and `make test` are the two commands; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export TRIBUTARY_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(TRIBUTARY_DATA_DIR)/dagster_home
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export DBT_LOG_PATH ?= $(TRIBUTARY_DATA_DIR)/dbt/logs
export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

# uv: the one on PATH, else a private copy installed once into .tools/ (a venv, so it also
# works where `pip install --user` is refused, e.g. an externally managed system Python).
TOOLS := $(CURDIR)/.tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
MANIFEST := dbt_project/target/manifest.json
# pytest-xdist workers of `make test` / `test-fast` (a module's tests stay on one worker,
# Spark tests share one; tests/conftest.py). PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)

.PHONY: help install manifest sample materialize docs demo serve test test-fast lint bench dagster-home clean adreports-provider commerce-db kpis settings-table spark-cluster spark-cluster-stop ci-deps

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: $(VENV)/.synced ## install the locked dependencies into .venv

$(MANIFEST): $(VENV)/.synced $(shell find dbt_project -name '*.sql' -o -name '*.yml' | grep -v target)
	cd dbt_project && $(DBT) parse --quiet
	@touch $@

manifest: $(MANIFEST) ## build the dbt manifest Dagster loads (once, ahead of time)

dagster-home: ## write $DAGSTER_HOME/dagster.yaml (PostgreSQL storage when DAGSTER_PG_URL is set)
	@scripts/dagster-home.sh

sample: install ## write sample input data for every domain under $TRIBUTARY_DATA_DIR
	scripts/sample.sh

materialize: install manifest dagster-home ## materialise every asset once (non-zero exit on any failure)
	$(PY) -m orchestration.materialize_all

docs: install manifest ## generate the dbt docs site into $TRIBUTARY_DATA_DIR/dbt/docs
	cd dbt_project && $(DBT) docs generate --quiet --target-path $(TRIBUTARY_DATA_DIR)/dbt/docs

demo: install manifest dagster-home ## everything: Dagster UI + API up while sample data is written, then every asset materialised and dbt docs served
	scripts/serve.sh --materialize

serve: install manifest dagster-home ## start Dagster (:3000), the API (:8000) and dbt docs (:8080) on existing data (ports: README)
	scripts/serve.sh

ci-deps: ## CI (root): install podman, runc, mmdebstrap with apt where missing, podman's settings (deploy/ci-deps.sh)
	deploy/ci-deps.sh

test: install manifest lint ## the whole suite: lint, then pytest incl. dbt build through the pipeline
	$(PY) -m pytest $(PYTEST_PARALLEL)

test-fast: install manifest lint ## the inner loop: lint, then pytest without the `slow` end-to-end tests
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow"

settings-table: install ## regenerate README.md's configuration table from the settings classes
	$(PY) -m scripts.settings_table --write

lint: install ## ruff, sqlfluff, the layer contract (import-linter, [tool.importlinter]), compose.yaml
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/podman-compose --dry-run config --quiet
	$(VENV)/bin/lint-imports
	$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/tests

bench: install manifest ## performance figures (see README)
	$(PY) -m bench.demo_start
	$(PY) -m bench.gaming_latency
	$(PY) -m bench.gaming_throughput
	$(PY) -m bench.adreports_pull
	$(PY) -m bench.location_ingest
	$(PY) -m bench.commerce_ctr
	$(PY) -m bench.events_ingest
	$(PY) -m bench.events_history
	$(PY) -m bench.events_stats
	$(PY) -m bench.players_scale
	$(PY) -m bench.engines

adreports-provider: install ## run the simulated ad-report API alone (ADREPORTS_SIM_PORT, :8790)
	$(PY) -m simulation.adreports

commerce-db: install ## load shop CSV exports into COMMERCE_DB_URL (ORDERS_CSV=… ORDER_ITEMS_CSV=…; default: sample)
	$(PY) -m loaders.commerce.shop_db $(if $(ORDERS_CSV),--orders $(ORDERS_CSV)) $(if $(ORDER_ITEMS_CSV),--order-items $(ORDER_ITEMS_CSV))

DATE ?= $(shell date -u +%F)
kpis: install ## daily KPIs straight from the events lake (EVENTS_LAKE_URL, s3:// too): make kpis DATE=2024-03-01
	$(PY) -m loaders.events kpis --date $(DATE)

spark-cluster: install ## start a local Spark standalone cluster (master :7077 + 2 workers); use it: TRIBUTARY_ENGINE=spark TRIBUTARY_SPARK_MASTER=spark://127.0.0.1:7077
	scripts/spark-cluster.sh start

spark-cluster-stop: ## stop the local Spark standalone cluster
	scripts/spark-cluster.sh stop

clean: ## remove the data dir (all local state)
	rm -rf $(TRIBUTARY_DATA_DIR)
