# minyi — run `make` or `make help` to list the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/minyi
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-sqlite test-postgres lint bench screenshots clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

MO_FILES := $(patsubst %.po,%.mo,$(wildcard minyi/locale/*/LC_MESSAGES/django.po))

%.mo: %.po
	msgfmt --check -o $@ $<

ECHARTS := minyi/cockpit/static/cockpit/vendor/echarts.min.js

# Charts for the cockpit come from the npm registry at install time (never committed, never a CDN).
$(ECHARTS):
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix var/npm echarts@6.1.0
	cp var/npm/node_modules/echarts/dist/echarts.min.js $@

LEAFLET := minyi/portal/static/portal/vendor/leaflet.js

# The portal's map pin (shown only when MINYI_MAP_TILES points at an intranet tile server).
$(LEAFLET):
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix var/npm leaflet@1.9.4
	cp var/npm/node_modules/leaflet/dist/leaflet.js var/npm/node_modules/leaflet/dist/leaflet.css minyi/portal/static/portal/vendor/
	cp -r var/npm/node_modules/leaflet/dist/images minyi/portal/static/portal/vendor/

AXE := var/axe/axe.min.js

# axe-core for the browser tests' contrast checks (the wall screen), injected into the page; never committed.
$(AXE):
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix var/npm axe-core@4.10.3
	mkdir -p $(dir $@) && cp var/npm/node_modules/axe-core/axe.min.js $@

setup: $(STAMP) $(MO_FILES) $(ECHARTS) $(LEAFLET) $(AXE) ## Create .venv and install the pinned dependencies (idempotent)
	@mkdir -p var

# Unset MINYI_DEBUG means production (docs/security.md); the demo and the benchmarks are development.
demo bench: export MINYI_DEBUG ?= 1

PORT ?= 8000
HOST ?= 127.0.0.1

demo: setup ## Set up, migrate, seed demo data (SQLite) and serve on http://127.0.0.1:8000 (make demo PORT=8080)
	$(BIN)/minyi demo --host $(HOST) --port $(PORT)

test: setup ## Run every test: SQLite always, PostgreSQL too when reachable (required if MINYI_TEST_POSTGRES=1)
	$(MAKE) --no-print-directory test-sqlite
	@if [ "$${MINYI_TEST_POSTGRES:-}" = "1" ] || $(BIN)/python bench/pg_ready.py "$(PG_URL)"; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL not reachable at $(PG_URL): skipped the PostgreSQL run"; fi

test-sqlite: setup ## Run the test suite on SQLite
	env -u DATABASE_URL $(BIN)/python -m pytest -q -p no:cacheprovider

test-postgres: setup ## Run the test suite on PostgreSQL ($(PG_URL))
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup ## ruff and mypy (strict on the domain packages)
	$(BIN)/ruff check minyi bench
	$(BIN)/mypy minyi

DATA ?= ../shared/data

bench: setup ## Run the benchmarks (DATA=path to the shared data; see docs/benchmarks.md)
	$(BIN)/python bench/intake.py --n 2000
	$(BIN)/python bench/sweep.py --n 20000
	$(BIN)/python bench/cockpit.py --n 100000
	$(BIN)/python bench/triage.py --data $(DATA)/teddycup2020c/train/附件2_train.csv
	$(BIN)/python bench/import.py --data $(DATA)/teddycup2020c/full/附件4.csv
	$(BIN)/python bench/assistant.py --data $(DATA)/teddycup2020c/full/附件4.csv
	$(BIN)/python bench/hot_topics.py --data $(DATA)/teddycup2020c/full/附件3.csv

screenshots: setup ## Refresh the user guide's screenshots from the browser tests
	MINYI_ARTEFACTS=$(CURDIR)/docs/img $(BIN)/python -m pytest -q -p no:cacheprovider minyi/browser_tests

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var/*.sqlite3* var/audit var/static var/npm var/axe $(ECHARTS) minyi/portal/static/portal/vendor/leaflet* minyi/portal/static/portal/vendor/images
