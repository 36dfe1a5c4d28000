# Two commands for a new user: `make run` and `make test`. Everything they need
# is installed here, into .venv, from requirements*.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: run test lint format bench ingest simulate clean help

help:
	@echo "make run     start the all-in-one demo (broker, simulator, ingestor, web) on http://127.0.0.1:8050"
	@echo "make test    ruff + the whole pytest suite"
	@echo "make bench   benchmarks: ingest, the wall, the district page, database metrics, briefing snapshots (figures go to docs/performance.md by hand)"
	@echo "make format  ruff format + autofix"
	@echo "make clean   remove .venv and var/"

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime
	$(PY) app.py

test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(VENV)/.dev
	$(PY) -m bench.ingest
	$(PY) -m bench.wall
	$(PY) -m bench.district
	$(PY) -m bench.metrics
	$(PY) -m bench.briefing

clean:
	rm -rf $(VENV) var
