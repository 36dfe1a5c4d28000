# Two commands for a new user: `make run` and `make test`. Everything they need
# is installed here, into .venv, from requirements*.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: run test lint format bench ingest simulate clean help translations messages

# The texts: key-based gettext catalogues, compiled .mo files committed beside them.
LOCALE    := ioc/locale
CATALOGUE := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
COMPILED  := $(CATALOGUE:.po=.mo)
PYBABEL   := PYTHONPATH=. $(VENV)/bin/pybabel

help:
	@echo "make run     start the all-in-one demo (broker, simulator, ingestor, web) on http://127.0.0.1:8050"
	@echo "make test    ruff, mypy (strict on ioc/, feeds/, app.py) and the whole pytest suite"
	@echo "make bench   benchmarks: ingest, the wall, the district page, database metrics, briefing snapshots, the access check, PostgreSQL at scale (figures go to docs/performance.md by hand)"
	@echo "make format  ruff format + autofix"
	@echo "make translations  compile the text catalogues (ioc/locale/*/LC_MESSAGES/messages.po)"
	@echo "make messages      add the keys new code uses to both catalogues (docs/translations.md)"
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

run: $(VENV)/.runtime $(COMPILED)
	$(PY) app.py

# The tests' Node parts: a real OpenID Connect provider (tests/oidc) and axe-core
# (tests/axe), from the npm registry; without npm those tests skip and say why.
NODE_TOOLS := tests/oidc/node_modules/.installed tests/axe/node_modules/.installed

tests/%/node_modules/.installed: tests/%/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/$* && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the tests that need tests/$* will be skipped"; fi

test: $(VENV)/.dev $(COMPILED) $(NODE_TOOLS)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(VENV)/.dev
	$(PY) -m bench.ingest
	$(PY) -m bench.ingest_cpu
	$(PY) -m bench.wall
	$(PY) -m bench.district
	$(PY) -m bench.metrics
	$(PY) -m bench.briefing
	$(PY) -m bench.auth
	$(PY) -m bench.alarms
	@if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then \
		$(PY) -m bench.scale; else echo "bench.scale skipped: no PostgreSQL on 127.0.0.1:5432"; fi

# A catalogue edited by hand, in Poedit or by Weblate is compiled again before the app or
# the tests run; tests/test_i18n.py fails if a committed .mo differs from its .po.
$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	$(PYBABEL) compile -d $(LOCALE) -D messages -l $*

translations: $(VENV)/.runtime
	$(PYBABEL) compile -d $(LOCALE) -D messages --statistics

# The template holds the literal keys of t()/tn() calls and every Vietnamese key (babel.cfg),
# so update adds new keys (empty, for translators) and never drops a key built at run time.
messages: $(VENV)/.runtime
	@mkdir -p var
	$(PYBABEL) extract -F babel.cfg --no-default-keywords -k t -k tn:1,1 \
		--no-location --sort-output -o var/messages.pot .
	$(PYBABEL) update -i var/messages.pot -d $(LOCALE) -D messages \
		--no-fuzzy-matching --ignore-pot-creation-date

clean:
	rm -rf $(VENV) var
