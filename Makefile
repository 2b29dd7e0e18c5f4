# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test test-pg fuzz-nightly lint contracts demo bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## make run: migrate the SQLite database, create demo accounts and products, then serve the app
## at http://$(HOST):$(PORT)/ together with the event worker. Ctrl-C stops both.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_accounts
	$(PY) manage.py seed_products
	@echo "Serving http://$(HOST):$(PORT)/api/  (docs: /api/docs/, admin: /admin/). Ctrl-C stops the web server and the worker."
	@trap 'kill 0' INT TERM EXIT; \
	LOG_FORMAT=$${LOG_FORMAT:-text} $(PY) manage.py events_worker & \
	LOG_FORMAT=$${LOG_FORMAT:-text} $(PY) manage.py runserver $(HOST):$(PORT)

## make test: install and run the whole suite (SQLite; PostgreSQL-only tests are skipped with a reason).
test: install
	FAST_PASSWORD_HASHER=1 $(VENV)/bin/pytest

## make test-pg: the whole suite on PostgreSQL; fails if the PostgreSQL-only tests did not run.
test-pg: install
	DATABASE_URL=$(PG_URL) REQUIRE_POSTGRES=1 FAST_PASSWORD_HASHER=1 $(VENV)/bin/pytest

## make fuzz-nightly: schemathesis at 1,000 examples per operation and mode (positive and negative),
## then the hostile-input corpus, on PostgreSQL (PG_URL). Too long for every push; run it nightly.
fuzz-nightly: install
	DATABASE_URL=$(PG_URL) FAST_PASSWORD_HASHER=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} \
		$(VENV)/bin/pytest tests/ops/test_fuzz.py tests/ops/test_hostile_corpus.py -q -p no:randomly --timeout=0

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

contracts: install
	$(VENV)/bin/lint-imports

demo: install
	$(PY) manage.py demo

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-shm db.sqlite3-wal
