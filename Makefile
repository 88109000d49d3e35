# Set-up is idempotent: the virtualenv is rebuilt only when a lock file changes.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet --require-hashes
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-fast test-pg lint setup browser bench bench-quick load-test lock clean

run: setup
	$(BIN)/pingtai serve 127.0.0.1:8000

test: $(VENV)/.test-deps setup browser
	$(BIN)/pytest

# The Django-free tests (data files, engine, spreadsheets, standards) without the Django plugin: no
# database, no set-up, well under a minute (docs/development.md).
test-fast: $(VENV)/.test-deps
	$(BIN)/pytest -q -p no:django -W "ignore:Unknown config option:pytest.PytestConfigWarning" \
		tests/core tests/engine tests/xlsx tests/standards

# Lint and format check over all Python in the repository, then the type check of src/
# (mypy with django-stubs, configured in pyproject.toml).
lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src

# The same suite against a real PostgreSQL server; fails (never skips) when it is missing.
test-pg: $(VENV)/.test-deps browser
	DATABASE_URL=$(PG_URL) PINGTAI_EXPECT_POSTGRES=1 $(BIN)/pytest

# Debian's Chromium for the browser tests and poppler for the document checks; required in CI,
# optional elsewhere.
browser:
	sh scripts/install-browser.sh || [ "$$CI" != "true" ]

# The notice fonts (docs/notices.md) are part of set-up: required in CI, optional elsewhere
# (without them a PDF notice is refused with a message naming this script).
setup: $(VENV)/.run-deps
	sh scripts/install-fonts.sh || [ "$$CI" != "true" ]
	$(BIN)/pingtai setup-demo

bench: $(VENV)/.test-deps
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/evaluate_cli_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/cockpit_bench.py
	$(BIN)/python bench/notice_bench.py

bench-quick: $(VENV)/.test-deps
	$(BIN)/python bench/engine_bench.py --quick
	$(BIN)/python bench/evaluate_cli_bench.py --quick
	$(BIN)/python bench/import_bench.py --quick

# 50 users against gunicorn + PostgreSQL on loopback for a bounded time (docs/load-test.md).
load-test: $(VENV)/.load-deps
	$(BIN)/python bench/load/run_load_test.py

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.build-deps: requirements/build.lock | $(BIN)/python
	$(PIP) -r requirements/build.lock
	touch $@

$(VENV)/.run-deps: requirements/run.lock pyproject.toml $(VENV)/.build-deps
	$(PIP) -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-deps: requirements/test.lock $(VENV)/.run-deps
	$(PIP) -r requirements/test.lock
	touch $@

$(VENV)/.load-deps: requirements/load.lock $(VENV)/.test-deps
	$(PIP) -r requirements/load.lock
	touch $@

# Re-lock after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements/run.lock
	uv pip compile pyproject.toml --extra test --extra lint --python-version 3.11 --generate-hashes -o requirements/test.lock
	uv pip compile pyproject.toml --extra test --extra lint --extra load --python-version 3.11 --generate-hashes -o requirements/load.lock
	uv pip compile requirements/build.in --python-version 3.11 --generate-hashes -o requirements/build.lock

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
