# The two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_CUSTOMERS ?= 2000
PYTEST_ARGS ?=
# Local run: SQLite under var/, jobs in-process (no REDIS_URL).
RUN_ENV := PORTAL_ENV=local
# Tests: the machine's PostgreSQL and Redis.
TEST_ENV := PORTAL_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0
# The same tests again as `make run` runs: SQLite in a file (the test database is
# test_<name> beside it), no Redis, jobs in-process. They cover every `connection.vendor`
# fallback of the raw-SQL fast paths (claim, audit append and verify, bulk re-assessment,
# seed_demo) and a sample of the services and in-process jobs around them.
SQLITE_TEST_DB ?= $(CURDIR)/var/pytest-sqlite.sqlite3
SQLITE_TEST_ENV := PORTAL_ENV=test DATABASE_URL=sqlite:///$(SQLITE_TEST_DB) REDIS_URL=
SQLITE_TESTS := \
	tests/portal/test_sqlite_run.py \
	tests/cases/test_claim.py \
	tests/audit/test_audit.py \
	tests/audit/test_concurrency.py \
	tests/audit/test_append_only.py \
	tests/audit/test_commands.py \
	tests/audit/test_actions.py \
	tests/audit/test_layout_migrations.py \
	tests/intake/test_inbox.py \
	tests/scoring/test_bulk_jobs.py \
	tests/scoring/test_seed_demo.py \
	tests/scoring/test_jobs.py \
	tests/scoring/test_services.py \
	tests/scoring/test_auto_apply.py \
	tests/cases/test_decisions.py \
	tests/cases/test_detection.py \
	tests/cases/test_sla.py \
	tests/cases/test_reassign.py \
	tests/cases/test_queue.py \
	tests/compliance/test_erasure.py \
	tests/compliance/test_retention.py \
	tests/compliance/test_access_log.py

.PHONY: serve run test install install-dev services lint layers typecheck migrations-check pytest pytest-sqlite browser messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: the portal with demo data on SQLite at http://127.0.0.1:$(PORT)
run: install
	mkdir -p var
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo --customers $(DEMO_CUSTOMERS) --if-empty --with-assessments
	$(RUN_ENV) $(BIN)/python manage.py detect_unusable_lines
	$(RUN_ENV) $(BIN)/python manage.py seed_demo_intake
	$(RUN_ENV) $(BIN)/python manage.py seed_demo_privacy
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## test: services up, then lint, layers, migration check, types, the whole suite on
## PostgreSQL and the database-dependent part of it again on SQLite
test: install-dev services lint layers migrations-check typecheck pytest pytest-sqlite

services:
	./scripts/ensure-services.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## layers: each app imports only the layers beneath it (import-linter, pyproject.toml)
layers: install-dev
	$(BIN)/lint-imports --no-cache

migrations-check: install-dev
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

typecheck: install-dev
	$(TEST_ENV) $(BIN)/mypy

# Local runs keep the test databases between runs (--reuse-db); CI (CI=true) builds them anew.
REUSE_DB := $(if $(filter true,$(CI)),--create-db,--reuse-db)

pytest: install-dev
	$(TEST_ENV) $(BIN)/pytest -n 2 --dist loadgroup $(REUSE_DB) $(PYTEST_ARGS)

## pytest-sqlite: the tests of the SQLite fallbacks, on SQLite with jobs in-process
pytest-sqlite: install-dev
	mkdir -p $(dir $(SQLITE_TEST_DB))
	$(SQLITE_TEST_ENV) $(BIN)/pytest -m "not postgres_only and not browser and not worker" \
	  $(SQLITE_TESTS) $(PYTEST_ARGS)

browser: install-dev services
	$(TEST_ENV) $(BIN)/pytest -m browser $(PYTEST_ARGS)

## messages: refresh and compile the en and zh_Hans catalogues of every app
messages: install-dev
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var \
	  --ignore=audit --ignore=accounts --ignore=compliance --ignore=scoring --ignore=cases \
	  --ignore=intake --ignore=tests --ignore=bench
	for app in audit accounts compliance scoring cases intake; do \
	  (cd $$app && ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en); done
	$(BIN)/python manage.py compilemessages --ignore=.venv

## bench: every benchmark under bench/, each printing its figures (scratch databases)
bench: install-dev services
	$(TEST_ENV) $(BIN)/python bench/audit.py
	$(TEST_ENV) $(BIN)/python bench/seed.py
	$(TEST_ENV) $(BIN)/python bench/score_one.py
	$(TEST_ENV) $(BIN)/python bench/bulk_rescore.py
	$(TEST_ENV) $(BIN)/python bench/claim.py
	$(TEST_ENV) $(BIN)/python bench/queue_pages.py
	$(TEST_ENV) $(BIN)/python bench/export.py
	$(TEST_ENV) $(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) var

## serve: production-like run (gunicorn, Celery worker and beat via the Procfile);
## needs PORTAL_ENV=production and the variables listed in README.md
serve: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --ignore datasets
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start
