# minyi — run `make` or `make help` to list the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/minyi
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-sqlite test-postgres lint typecheck bench clean

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

setup: $(STAMP) $(MO_FILES) ## Create .venv and install the pinned dependencies (idempotent)
	@mkdir -p var

demo: setup ## Set up, migrate, seed realistic demo data (SQLite) and serve on http://127.0.0.1:8000
	$(BIN)/minyi demo

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

bench: setup ## Run the benchmarks (intake on SQLite and PostgreSQL)
	$(BIN)/python bench/intake.py --n 2000

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var/*.sqlite3* var/static
