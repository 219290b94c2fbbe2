# Taskadmin: `make run` to use it, `make test` to check it.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-postgres load bench lint lock setup clean

## .venv with exactly the versions in uv.lock (scripts/bootstrap).
$(VENV)/.installed: pyproject.toml uv.lock scripts/bootstrap
	scripts/bootstrap

setup: $(VENV)/.installed

## Rewrite uv.lock from pyproject.toml's ranges, then install it. Versions already
## locked stay unless asked: LOCK_ARGS="--upgrade-package django" or "--upgrade".
lock:
	scripts/bootstrap --lock $(LOCK_ARGS)

## Set up everything and serve the dashboard on http://127.0.0.1:8000 (SQLite, DEBUG on),
## with a background worker beside it (scripts/with-worker).
run: setup
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py ensure_admin
	DEBUG=$${DEBUG:-true} scripts/with-worker $(PY) manage.py db_worker -- \
		$(PY) manage.py runserver $(HOST):$(PORT)

## Production: migrate, collect static files (whitenoise serves them), run gunicorn
## with WEB_CONCURRENCY workers (4) and a background worker beside it. Needs the
## production environment: README "Production".
serve: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	HOST=$(HOST) PORT=$(PORT) scripts/with-worker $(PY) manage.py db_worker -- \
		$(VENV)/bin/gunicorn --config gunicorn.conf.py

## The whole test suite, browser tests included.
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

## The whole test suite on the local PostgreSQL (started and prepared when needed).
test-postgres: setup
	url=$$(scripts/ensure-postgres $${PGDATABASE_NAME:-taskadmin}) && \
		DATABASE_URL=$$url $(PY) -m pytest $(PYTEST_ARGS)

## Load test: 20 users for 60 s against gunicorn (4 workers) and a worker on PostgreSQL;
## any unexpected status fails it (bench/load.py --help).
load: setup
	$(PY) bench/load.py $(LOAD_ARGS)

## Issue 13's targets, each figure beside its peer, on DATABASE_URL's database
## (SQLite by default): pages, export, import, history (README, "Benchmarks";
## BENCH_ARGS="--small --only pages" for a quick look, "--strict" to fail on a miss).
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

## ruff's checks and its formatting, as CI runs them.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles screenshots .pytest_cache
