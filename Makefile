# Taskadmin: `make run` to use it, `make test` to check it.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup clean

$(VENV)/.installed: pyproject.toml scripts/bootstrap
	scripts/bootstrap

setup: $(VENV)/.installed

## Set up everything and serve the dashboard on http://127.0.0.1:8000 (SQLite, DEBUG on).
run: setup
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py ensure_admin
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite, browser tests included.
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles screenshots .pytest_cache
