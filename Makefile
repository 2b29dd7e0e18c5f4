# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install install-runtime messages run test test-pg fuzz-nightly lint contracts demo bench clean

# What running needs (requirements.txt); the test tools come on top for `make test` and the rest.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install-runtime: $(VENV)/.runtime

install: $(VENV)/.installed

## make messages: compile the message catalogues (*/locale/ko/LC_MESSAGES/django.po) after editing
## them. Needs gettext's msgfmt (apt-get install gettext); the compiled .mo files are committed, so
## running the project does not, and tests/platform/test_messages.py fails when a .mo lags its .po.
messages:
	$(PY) manage.py compilemessages --ignore=$(VENV)

## make run: migrate the SQLite database, create demo accounts and products, then serve the app
## at http://$(HOST):$(PORT)/ (`make run PORT=8080` for another port) together with the event
## worker (manage.py serve). Ctrl-C stops both. Installs only what running needs.
run: install-runtime
	$(PY) manage.py migrate --noinput
	PORT=$(PORT) $(PY) manage.py demo_accounts
	$(PY) manage.py seed_products
	@LOG_FORMAT=$${LOG_FORMAT:-text} exec $(PY) manage.py serve $(HOST):$(PORT)

## make test: install and run the suite on SQLite (PostgreSQL-only tests are skipped with a reason),
## without the tests marked `slow` (query plans, the benchmark harness, fuzzing, the hostile-input
## corpus) unless SLOW=1; CI (.ci/run) runs `make test SLOW=1` and `make test-pg`, which run them all.
test: install
	@$(if $(SLOW),true,echo "make test: skipping the slow tests (-m 'not slow'); run them with make test SLOW=1 or make test-pg")
	FAST_PASSWORD_HASHER=1 $(VENV)/bin/pytest $(if $(SLOW),,-m "not slow")

## make test-pg: the whole suite on PostgreSQL; fails if the PostgreSQL-only tests did not run.
test-pg: install
	DATABASE_URL=$(PG_URL) REQUIRE_POSTGRES=1 FAST_PASSWORD_HASHER=1 $(VENV)/bin/pytest

## make fuzz-nightly: schemathesis at 1,000 examples per operation and mode (positive and negative),
## then the hostile-input corpus, on PostgreSQL (PG_URL). Too long for every push; run it nightly.
fuzz-nightly: install
	DATABASE_URL=$(PG_URL) FAST_PASSWORD_HASHER=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} \
		$(VENV)/bin/pytest tests/platform/test_fuzz.py tests/platform/test_hostile_corpus.py -q -p no:randomly --timeout=0

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

contracts: install
	$(VENV)/bin/lint-imports

## make demo: replay the reference scenario on a database of its own (demo.sqlite3, emptied first;
## DEMO_DATABASE_URL to choose another), so the development catalogue and its accounts stay as they are.
demo: install-runtime
	DATABASE_URL=$${DEMO_DATABASE_URL:-sqlite:///$(CURDIR)/demo.sqlite3} LOG_FORMAT=$${LOG_FORMAT:-text} \
	$(PY) manage.py demo --fresh

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-shm db.sqlite3-wal demo.sqlite3 demo.sqlite3-shm demo.sqlite3-wal
