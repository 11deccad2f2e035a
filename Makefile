# Bimtek LMS: `make run` serves the site with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app lms
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve worker test bench install install-test setup translations migrate

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations
	@# axe-core for the accessibility checks (browser tests skip without npm, except in CI)
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

translations: | $(PY)
	$(FLASK) translate compile

# Migrate, import courses/, add demo accounts to a new database (existing data is kept).
setup: install
	$(FLASK) db upgrade
	$(FLASK) courses import courses/
	$(FLASK) demo seed

run: setup
	@echo "Serving on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving: gunicorn (workers and threads from LMS_WORKERS / LMS_THREADS).
serve: setup
	$(VENV)/bin/gunicorn -c gunicorn.conf.py lms.wsgi:app

# Background jobs (certificate ZIPs, reminder mailings) on Redis: run one or more next to `make serve`.
worker: install
	@test -n "$$LMS_REDIS_URL" || { echo "set LMS_REDIS_URL (the same Redis as the app servers)"; exit 2; }
	$(FLASK) jobs worker

# Test workers (pytest-xdist): one a core, at most 4; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -gt 4 ]; then n=4; elif [ $$n -lt 2 ]; then n=0; fi; echo $$n)

test: install-test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# HTTP load benchmark under gunicorn with wrk (bench/README.md), e.g. BENCH_ARGS="--backends sqlite --duration 5".
bench: install
	$(PY) bench/bench_http.py $(BENCH_ARGS)
